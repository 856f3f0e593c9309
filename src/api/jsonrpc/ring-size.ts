// get_ring_size / wait_for_ring_size (docs/scalaris-api.md §7): the members a hosted node sees, itself and
// its successor list (kept current; fingers go stale after a leave): exact to 9 nodes, a lower bound above.
// Must not break: a process with no ring member answers 0, never throws.
import type { Json } from "../../wire/lossless-json.js";
import { countArg } from "./call-args.js";
import type { JsonRpcContext } from "./json-rpc-context.js";

const POLL_MS = 100;
const MAX_WAIT_MS = 60_000;

/** How many distinct ring members a hosted member knows of. */
export function ringSize(ctx: JsonRpcContext): number {
  const node = ctx.nodes.member();
  if (node === null) return 0;
  const status = node.status();
  const known = [status, ...status.succList];
  return new Set(known.map((ref) => ref.addr)).size;
}

/** get_ring_size([timeout_ms]) → a bare number. */
export async function getRingSize(ctx: JsonRpcContext, [timeout]: readonly Json[]): Promise<Json> {
  countArg(timeout, "timeout");
  return ringSize(ctx);
}

/** wait_for_ring_size([size, timeout_ms]) → "ok" once the size is reached, "timeout" if not in time. */
export async function waitForRingSize(ctx: JsonRpcContext, [size, timeout]: readonly Json[]): Promise<Json> {
  const wanted = countArg(size, "size");
  const deadline = Date.now() + Math.min(countArg(timeout, "timeout"), MAX_WAIT_MS);
  for (;;) {
    if (ringSize(ctx) >= wanted) return "ok";
    if (Date.now() >= deadline) return "timeout";
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
