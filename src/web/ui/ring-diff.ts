// Events the page derives from two successive surveys (docs/dashboard.md §5): a node gone (crashed or
// left: it no longer answers), a new node, a node newly suspected by another, and the ring's verdict
// changing. They cover the whole cluster, where a node's own feed covers the nodes its process hosts.
import type { RingSurvey } from "./ring-survey-types.js";

export interface PageEvent {
  readonly kind: string;
  readonly node: string;
  readonly atMs: number;
  readonly text: string;
  /** "survey": derived here; "feed": a node's /v1/events; "page": an action taken on this page. */
  readonly source: "survey" | "feed" | "page";
}

function suspicionPairs(survey: RingSurvey): Map<string, string> {
  const pairs = new Map<string, string>();
  const nameOf = new Map(survey.nodes.map((n) => [n.addr, n.name]));
  for (const node of survey.nodes)
    for (const s of node.suspected)
      pairs.set(`${node.name}→${s.addr}`, `${node.name} suspects ${nameOf.get(s.addr) ?? s.addr}`);
  return pairs;
}

export function ringDiff(before: RingSurvey | null, after: RingSurvey, atMs: number): PageEvent[] {
  const events: PageEvent[] = [];
  const event = (kind: string, node: string, text: string) =>
    events.push({ kind, node, atMs, text, source: "survey" });
  const was = new Set(before?.nodes.map((n) => n.name) ?? []);
  const now = new Set(after.nodes.map((n) => n.name));
  if (before !== null) {
    for (const name of was)
      if (!now.has(name)) event("node-gone", name, `${name} stopped answering (crashed, stopped or cut off)`);
    for (const name of now) if (!was.has(name)) event("node-new", name, `${name} answers`);
  }
  const old = before === null ? new Map<string, string>() : suspicionPairs(before);
  for (const [pair, text] of suspicionPairs(after))
    if (!old.has(pair)) event("suspicion", pair.slice(0, pair.indexOf("→")), text);
  if (before === null || before.perfect !== after.perfect)
    event(
      after.perfect ? "ring-perfect" : "ring-imperfect",
      "ring",
      after.perfect
        ? `a perfect ring of ${after.nodes.length}`
        : `not a perfect ring: ${after.problem ?? "?"}`,
    );
  return events;
}
