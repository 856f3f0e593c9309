// The rings nodes form (docs/dashboard.md §6, §7): the cycles of their successor pointers. One cycle is
// one ring; a cut cluster shows two until it heals and merges. A node whose successor walk ends outside
// the nodes, or in another node's cycle, belongs to no cycle of its own.
import type { SurveyedNode } from "./ring-survey-types.js";

/** Each cycle of `succOf` over `keys`, once, in successor order; succOf gives undefined off the set. */
export function successorCycles<K>(keys: Iterable<K>, succOf: (key: K) => K | undefined): K[][] {
  const done = new Set<K>();
  const cycles: K[][] = [];
  for (const start of keys) {
    const path: K[] = [];
    const onPath = new Set<K>();
    let at: K | undefined = start;
    while (at !== undefined && !done.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = succOf(at);
    }
    if (at !== undefined && onPath.has(at)) cycles.push(path.slice(path.indexOf(at)));
    for (const key of path) done.add(key);
  }
  return cycles;
}

/** Each cycle of successor pointers among surveyed `nodes`, as node names in ring order, largest first. */
export function ringsOf(nodes: readonly SurveyedNode[]): string[][] {
  const byAddr = new Map(nodes.map((n) => [n.addr, n]));
  const succOf = (addr: string) => {
    const succ = byAddr.get(addr)?.succ?.addr;
    return succ !== undefined && byAddr.has(succ) ? succ : undefined;
  };
  return successorCycles(byAddr.keys(), succOf)
    .map((cycle) => cycle.map((addr) => byAddr.get(addr)?.name ?? addr))
    .sort((a, b) => b.length - a.length);
}
