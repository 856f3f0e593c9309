// A node's page (docs/dashboard.md §2): its neighbours (succList, predList), fingers, failure detector,
// store and transport counters, and its recent events, from the latest survey and the event log.
import { formatCount, html, shortId } from "./dom.js";
import { rangeShare } from "./ring-geometry.js";
import type { RefStatus, SurveyedNode } from "./ring-survey-types.js";

function refList(title: string, refs: readonly RefStatus[], nameOf: (r: RefStatus) => string): HTMLElement {
  return html(
    "section",
    {},
    html("h3", {}, `${title} (${refs.length})`),
    refs.length === 0
      ? html("p", { class: "muted" }, "none")
      : html("ol", { class: "refs" }, ...refs.map((r) => html("li", {}, `${nameOf(r)} · ${shortId(r.id)}…`))),
  );
}

function table(rows: readonly (readonly [string, string])[]): HTMLTableElement {
  return html(
    "table",
    { class: "facts" },
    ...rows.map(([k, v]) => html("tr", {}, html("th", {}, k), html("td", {}, v))),
  );
}

export function nodePanel(
  node: SurveyedNode,
  nameOf: (ref: RefStatus) => string,
  recentEvents: readonly string[],
  onClose: () => void,
): HTMLElement {
  const close = html("button", { class: "close", "aria-label": "close" }, "×");
  close.addEventListener("click", onClose);
  const share = node.pred === null ? 1 : rangeShare(node.pred.id, node.id);
  const t = node.transport;
  const fd = node.failureDetector;
  return html(
    "article",
    { class: "node-panel", "data-node": node.name },
    close,
    html("h2", {}, node.name),
    table([
      ["id", node.id],
      ["address", node.addr],
      ["state", node.member ? "ring member" : "not a member"],
      [
        "range",
        `(${node.pred === null ? "—" : shortId(node.pred.id)}…, ${shortId(node.id)}…] · ${(share * 100).toFixed(1)}%`,
      ],
      ["uptime", `${Math.round(node.uptimeSec)} s`],
      ["items", `${node.store.items} (${node.store.unsynced} unsynced ranges)`],
      ["in flight", `${node.store.operationsInFlight} ops, ${node.store.transactionsInFlight} tx`],
      [
        "failure detector",
        `timeout ${fd.timeoutMs} ms · watching ${fd.monitored} · ${fd.suspicions} suspicions (${fd.falseSuspicions} false)`,
      ],
      [
        "transport",
        `${formatCount(t.framesIn)} in / ${formatCount(t.framesOut)} out frames · ${t.connectionsIn + t.connectionsOut} connections`,
      ],
      ["lookups answered", formatCount(node.lookupsAnswered)],
      [
        "operations",
        `${formatCount(node.operations.completed)} done, ${formatCount(node.operations.failed)} failed · p50 ${node.operations.latencyP50Ms ?? "—"} ms, p99 ${node.operations.latencyP99Ms ?? "—"} ms`,
      ],
    ]),
    html(
      "div",
      { class: "ref-lists" },
      refList("successor list", node.succList, nameOf),
      refList("predecessor list", node.predList, nameOf),
      refList("fingers", node.fingers, nameOf),
      refList("suspected", node.suspected, nameOf),
    ),
    html("h3", {}, "recent events"),
    recentEvents.length === 0
      ? html("p", { class: "muted" }, "none seen since the page opened")
      : html("ol", { class: "recent" }, ...recentEvents.map((e) => html("li", {}, e))),
  );
}
