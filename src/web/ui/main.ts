// The dashboard page (docs/dashboard.md): polls v1/ring once a second and draws the ring, the node
// pages, the charts and the event feed from it; listens to the serving node's v1/events. It talks only to
// the origin it was served from, so it works the same at a node's /ui, at npm start's front port and at
// the page server, and no request leaves the machine.
import "./app.css";
import { Charts } from "./charts.js";
import { Controls } from "./controls.js";
import { html } from "./dom.js";
import { EventLog } from "./event-log.js";
import { KeyInspector } from "./key-inspector.js";
import { nodePanel } from "./node-panel.js";
import { ReplayPanel } from "./replay-panel.js";
import { ringsOf } from "./ring-cycles.js";
import { type PageEvent, ringDiff } from "./ring-diff.js";
import type { EventKind, RefStatus, RingSurvey } from "./ring-survey-types.js";
import { RingView } from "./ring-view.js";

const POLL_MS = 1000;

const verdict = html("div", { class: "verdict", id: "verdict" }, "surveying…");
const summary = html("div", { class: "summary", id: "summary" });
const side = html("div", { class: "side" });
const log = new EventLog();
const charts = new Charts();
let latest: RingSurvey | null = null;
let selected: string | null = null;

const ring = new RingView((name) => {
  selected = selected === name ? null : name;
  ring.select(selected);
  controls.refresh();
  renderSide();
});

const controls = new Controls({
  selected: () => selected,
  names: () => latest?.nodes.map((n) => n.name) ?? [],
  report: (event) => log.add([event]),
});

const inspector = new KeyInspector(
  (report) =>
    ring.showReplicas(report?.replicas.map((r) => ({ id: r.id, holderId: r.holder?.id ?? null })) ?? null),
  (addr) => latest?.nodes.find((n) => n.addr === addr)?.name ?? addr,
);

document.body.append(
  html("header", {}, html("h1", {}, "selfman"), verdict, summary),
  html(
    "main",
    {},
    ring.element,
    html("div", { class: "side-column" }, side, controls.element, inspector.element),
  ),
  charts.element,
  log.element,
  new ReplayPanel().element,
);

function nameOf(ref: RefStatus): string {
  return latest?.nodes.find((n) => n.addr === ref.addr)?.name ?? ref.addr;
}

function renderSide(): void {
  const node = latest?.nodes.find((n) => n.name === selected);
  if (node === undefined) {
    side.replaceChildren(
      html(
        "p",
        { class: "muted hint" },
        "Click a node for its successors, fingers, failure detector and counters.",
      ),
    );
    return;
  }
  side.replaceChildren(
    nodePanel(node, nameOf, log.about(node.name, 12), () => {
      selected = null;
      ring.select(null);
      controls.refresh();
      renderSide();
    }),
  );
}

function renderSummary(survey: RingSurvey): void {
  verdict.textContent = survey.perfect
    ? `perfect ring of ${survey.nodes.length}`
    : `not a perfect ring: ${survey.problem ?? "?"}`;
  verdict.className = `verdict ${survey.perfect ? "ok" : "bad"}`;
  const rings = ringsOf(survey.nodes);
  if (rings.length > 1)
    verdict.textContent = `${rings.length} rings: ${rings.map((r) => r.length).join(" + ")} nodes`;
  verdict.dataset.rings = String(rings.length);
  const members = survey.nodes.filter((n) => n.member).length;
  const items = survey.nodes.reduce((sum, n) => sum + n.store.items, 0);
  summary.textContent =
    `${survey.nodes.length} nodes answer · ${members} members · ${survey.branches} branches · ` +
    `${items} items held · ${survey.unreachable.length} unreachable`;
  summary.dataset.nodes = String(survey.nodes.length);
}

let polling = false;
async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    const response = await fetch("/v1/ring", { cache: "no-store" });
    if (!response.ok) throw new Error(`v1/ring answered ${response.status}`);
    const survey = (await response.json()) as RingSurvey;
    const now = Date.now();
    log.add(ringDiff(latest, survey, now));
    latest = survey;
    renderSummary(survey);
    ring.update(survey);
    charts.add(survey, now);
    renderSide();
  } catch (error) {
    verdict.textContent = `cannot survey the ring: ${error instanceof Error ? error.message : String(error)}`;
    verdict.className = "verdict bad";
  } finally {
    polling = false;
  }
}

/** An event's data for people: refs by node name, members as `name value`. */
function describe(data: unknown): string {
  if (typeof data !== "object" || data === null) return String(data);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(data)) {
    const ref = value as Partial<RefStatus> | null;
    const shown =
      typeof ref === "object" && ref !== null && typeof ref.addr === "string"
        ? nameOf(ref as RefStatus)
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
    parts.push(`${name} ${shown}`);
  }
  return parts.join(", ");
}

/**
 * The serving node's own feed (through the page server, a live node's). EventSource reconnects by itself
 * after an error, sending Last-Event-ID, so a restarted or replaced node's feed comes back.
 */
function listen(): void {
  const source = new EventSource("/v1/events");
  const onEvent = (e: MessageEvent<string>) => {
    try {
      const event = JSON.parse(e.data) as { kind: string; node: string; atMs: number; data: unknown };
      const item: PageEvent = {
        kind: event.kind,
        node: event.node,
        atMs: event.atMs,
        text: `${event.node}: ${describe(event.data)}`,
        source: "feed",
      };
      log.add([item]);
    } catch {
      // not an event of ours: ignored
    }
  };
  for (const kind of FEED_KINDS) source.addEventListener(kind, onEvent);
}

/** Every kind the feed sends (api/event-feed.ts): SSE delivers a named event only to its listeners. */
const FEED_KINDS: readonly EventKind[] = [
  "node-up",
  "node-down",
  "crash",
  "join",
  "leave",
  "suspect",
  "unsuspect",
  "merge",
  "handover",
  "repair",
  "tx",
  "control",
];

const fit = () => charts.resize(Math.min(560, Math.max(260, charts.element.clientWidth - 24)));
window.addEventListener("resize", fit);
fit();
renderSide();
void poll();
setInterval(() => void poll(), POLL_MS);
listen();
