// What the API servers need of the process they run in (docs/api.md §1): a live ring member to run a
// request on, and the control over the ring nodes this process hosts that Scalaris's vm.* calls and
// the node-control routes use. runtime/node-host.ts provides it; `singleNode` wraps one LiveNode.
import type { LiveNode } from "../runtime/live-node.js";

export interface HostedNodes {
  /** A live ring member of this process to serve a request, or null (the API then answers 503). */
  member(): LiveNode | null;
  /** The live nodes this process hosts. */
  live(): readonly LiveNode[];
  /** The names of the live nodes this process hosts. */
  names(): string[];
  /** Starts n more nodes in this process, each joining the ring. */
  addNodes(n: number): Promise<{ ok: string[]; failed: string[] }>;
  /** Crashes a hosted node (no leave, no hand-over); false if none has that name. */
  kill(name: string): boolean;
  /** Makes a hosted node leave gracefully; false if none has that name. */
  shutdown(name: string): Promise<boolean>;
}

/** One node, which cannot be multiplied or stopped through the API. */
export function singleNode(node: LiveNode): HostedNodes {
  return {
    member: () => (node.ring.isMember ? node : null),
    live: () => [node],
    names: () => [node.name],
    addNodes: async (n) => ({ ok: [], failed: Array.from({ length: n }, (_, i) => `new-${i + 1}`) }),
    kill: () => false,
    shutdown: async () => false,
  };
}
