// The status page (docs/live-runtime.md §5.1): one HTML page that draws the live ring — every node at
// its id's angle, an arrow to its successor, suspects in red — and says whether it is a perfect ring. It
// polls v1/ring (a ring survey) where it was served from: every node's API serves it at / (so npm
// start's front port 8080 shows it), and startStatusPage serves it with a survey of given API ports.
// No external assets.
import http from "node:http";
import { surveyRing } from "../api/ring-survey.js";

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>selfman — ring</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; background: #fafbfc; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  #verdict { font-weight: 600; margin: .5rem 0 1rem; }
  #verdict.ok { color: #18794e; } #verdict.bad { color: #b42318; }
  main { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
  table { border-collapse: collapse; } td, th { padding: .2rem .6rem; text-align: left; border-bottom: 1px solid #e3e6ea; }
  th { font-weight: 600; } code { font-size: 12px; }
</style>
</head>
<body>
<h1>selfman</h1>
<div>a relaxed ring of <span id="count">…</span> node(s)</div>
<div id="verdict">surveying…</div>
<main>
  <svg id="ring" width="420" height="420" viewBox="-210 -210 420 420" role="img" aria-label="the ring"></svg>
  <table><thead><tr><th>node</th><th>id</th><th>pred</th><th>succ</th><th>suspects</th></tr></thead><tbody id="nodes"></tbody></table>
</main>
<script>
const R = 170;
const svg = document.getElementById("ring");
function angle(id) { return Number(BigInt(id) >> 96n) / 4294967296 * 2 * Math.PI - Math.PI / 2; }
function at(id, r) { const a = angle(id); return [Math.cos(a) * r, Math.sin(a) * r]; }
function el(name, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function draw(survey) {
  const nodes = survey.nodes;
  const byAddr = new Map(nodes.map((n) => [n.addr, n]));
  const nameOf = (ref) => ref === null ? "-" : (byAddr.get(ref.addr)?.name ?? ref.addr);
  document.getElementById("count").textContent = String(nodes.length);
  const verdict = document.getElementById("verdict");
  verdict.textContent = survey.perfect ? "perfect ring" : "not a perfect ring: " + survey.problem;
  verdict.className = survey.perfect ? "ok" : "bad";
  svg.replaceChildren(el("circle", { cx: 0, cy: 0, r: R, fill: "none", stroke: "#c8ced6" }));
  const suspected = new Set(nodes.flatMap((n) => n.suspected.map((s) => s.addr)));
  for (const n of nodes) {
    const next = n.succ === null ? undefined : byAddr.get(n.succ.addr);
    if (next === undefined) continue;
    const [x1, y1] = at(n.id, R); const [x2, y2] = at(next.id, R);
    svg.append(el("line", { x1, y1, x2, y2, stroke: "#4f6bd8", "stroke-width": 1.5 }));
  }
  for (const n of nodes) {
    const [x, y] = at(n.id, R); const [tx, ty] = at(n.id, R + 24);
    const bad = !n.member || suspected.has(n.addr);
    svg.append(el("circle", { cx: x, cy: y, r: 7, fill: bad ? "#d92d20" : "#18794e", "data-node": n.name }));
    svg.append(el("text", { x: tx, y: ty, "text-anchor": "middle", "dominant-baseline": "middle", "font-size": 11 }, n.name));
  }
  document.getElementById("nodes").replaceChildren(...nodes.map((n) => {
    const tr = document.createElement("tr");
    for (const v of [n.name, n.id.slice(0, 10) + "…", nameOf(n.pred), nameOf(n.succ), n.suspected.map(nameOf).join(", ") || "-"]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    return tr;
  }));
}
async function refresh() {
  try { draw(await (await fetch("v1/ring")).json()); }
  catch (e) { const v = document.getElementById("verdict"); v.textContent = "cannot reach the page's server"; v.className = "bad"; }
  setTimeout(refresh, 1000);
}
refresh();
</script>
</body>
</html>
`;

/** Serves the page on host:port for the nodes whose admin ports `admins()` returns. */
export async function startStatusPage(
  host: string,
  port: number,
  admins: () => Promise<readonly string[]>,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(STATUS_PAGE);
      return;
    }
    if (url.pathname === "/v1/ring") {
      admins()
        .then((list) => surveyRing(list, 1500))
        .then((survey) => {
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
          res.end(JSON.stringify(survey));
        })
        .catch((error: unknown) => {
          res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
          res.end(
            JSON.stringify({
              error: "internal",
              message: error instanceof Error ? error.message : String(error),
            }),
          );
        });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("not found: the page is at /\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
