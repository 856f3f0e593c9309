// The rings the answering nodes form (docs/dashboard.md §6): the cycles of their successor pointers.
// One cycle is one ring; a cut cluster shows two until it heals and merges. A node whose successor
// walk ends outside the answering nodes, or in another node's cycle, belongs to no cycle of its own.
import type { SurveyedNode } from "./ring-survey-types.js";

/** Each cycle of successor pointers among `nodes`, as node names in ring order, largest first. */
export function ringsOf(nodes: readonly SurveyedNode[]): string[][] {
  const byAddr = new Map(nodes.map((n) => [n.addr, n]));
  const cycleOf = new Map<string, number>();
  const cycles: string[][] = [];
  for (const start of nodes) {
    const path: SurveyedNode[] = [];
    const onPath = new Set<string>();
    let at: SurveyedNode | undefined = start;
    while (at !== undefined && !onPath.has(at.addr) && !cycleOf.has(at.addr)) {
      path.push(at);
      onPath.add(at.addr);
      at = at.succ === null ? undefined : byAddr.get(at.succ.addr);
    }
    if (at === undefined || !onPath.has(at.addr)) continue;
    const from = path.findIndex((n) => n.addr === at?.addr);
    const cycle = path.slice(from);
    for (const n of cycle) cycleOf.set(n.addr, cycles.length);
    cycles.push(cycle.map((n) => n.name));
  }
  return cycles.sort((a, b) => b.length - a.length);
}
