// The tlog string a client carries between req_list calls (docs/scalaris-api.md §5): the empty log is
// Scalaris's own "g2o=", any other a token sealed under the cluster secret (api/tlog-token.ts).
// Must not break: a string this cluster did not seal, or one that was changed, is bad input (500).
import type { LiveNode } from "../../runtime/live-node.js";
import type { Json } from "../../wire/lossless-json.js";
import type { ClusterSecret } from "../cluster-secret.js";
import { EMPTY_TLOG, openTlog, sealTlog, TlogError, type TlogState } from "../tlog-token.js";
import { BadInput, StoreUnavailable } from "./rpc-errors.js";

export const EMPTY_TLOG_TOKEN = "g2o=";

function isEmpty(state: TlogState): boolean {
  return state.entries.length === 0 && state.failed.length === 0;
}

async function secretOf(secret: ClusterSecret, node: LiveNode | null): Promise<Uint8Array> {
  if (node === null) throw new StoreUnavailable("no ring member in this process");
  try {
    return await secret.get(node);
  } catch (error) {
    throw new StoreUnavailable(error instanceof Error ? error.message : String(error));
  }
}

/** The state a tlog param carries. */
export async function openScalarisTlog(
  json: Json,
  secret: ClusterSecret,
  node: LiveNode | null,
): Promise<TlogState> {
  if (typeof json !== "string") throw new BadInput("a tlog is a string");
  if (json === EMPTY_TLOG_TOKEN) return EMPTY_TLOG;
  const key = await secretOf(secret, node);
  try {
    return openTlog(json, key);
  } catch (error) {
    if (error instanceof TlogError) throw new BadInput(`tlog: ${error.message}`);
    throw error;
  }
}

/** The tlog string of a state. */
export async function sealScalarisTlog(
  state: TlogState,
  secret: ClusterSecret,
  node: LiveNode | null,
): Promise<string> {
  if (isEmpty(state)) return EMPTY_TLOG_TOKEN;
  return sealTlog(state, await secretOf(secret, node));
}
