// The cluster a CLI command talks to (docs/live-runtime.md §5): the nodes of a cluster directory's
// cluster.json (`npm start`'s `.selfman` by default) or the `--admin host:port` list, and one request sent
// to the first node that answers, for the admin routes (tokens, merge). An answer with an error is final.
import { authHeader } from "../runtime/admin-client.js";
import { readClusterFile } from "../runtime/local-cluster.js";
import { type Address, formatAddress } from "./flags.js";

export interface ClusterFlags {
  dir: string;
  admin?: Address[];
  json?: boolean;
}

/** The admin (API) addresses, host:port, of the nodes a command talks to. */
export async function adminAddresses(flags: ClusterFlags): Promise<string[]> {
  if (flags.admin !== undefined) return flags.admin.map(formatAddress);
  const file = await readClusterFile(flags.dir);
  if (file === null) throw new Error(`no cluster in ${flags.dir} (start one, or name a node with --admin)`);
  return file.nodes.map((n) => n.admin);
}

/**
 * Sends `body` (JSON) with `method` to `path` on the first node of the cluster that answers; an answer
 * with an error is final (it is not sent elsewhere). Returns the answer and whether it was a success.
 */
export async function requestCluster(
  flags: ClusterFlags,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; answer: Record<string, unknown> }> {
  let unreachable = "";
  for (const admin of await adminAddresses(flags)) {
    let response: Response;
    try {
      response = await fetch(`http://${admin}${path}`, {
        method,
        headers: { "content-type": "application/json", ...authHeader() },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      unreachable = `${admin}: ${error instanceof Error ? error.message : String(error)}`;
      continue;
    }
    return { ok: response.ok, answer: (await response.json()) as Record<string, unknown> };
  }
  throw new Error(`no node answered (last: ${unreachable})`);
}
