// Reading a node's admin port over HTTP (docs/live-runtime.md §4): what the local cluster, the CLI, the
// ring survey and the benchmarks use. An answer that is not 2xx becomes an Error with the node's own
// message.
import { type NodeStatus, parseNodeStatus } from "./node-status.js";

/** The bearer token of SELFMAN_TOKEN, for a cluster that runs with tokens (docs/api.md §6). */
export function authHeader(): Record<string, string> {
  const token = process.env.SELFMAN_TOKEN;
  return token === undefined || token === "" ? {} : { authorization: `Bearer ${token}` };
}

/**
 * GETs `url` and returns its JSON body. The type parameter is the caller's word for the shape: readers
 * of /status use fetchNodeStatus, which checks it.
 */
export async function fetchJson<T = unknown>(url: string, timeoutMs: number): Promise<T> {
  const response = await fetch(url, { headers: authHeader(), signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `${url}: HTTP ${response.status}`);
  return body;
}

/**
 * The /status of the node whose admin port is `admin` (host:port), checked: an answer of the wrong
 * shape rejects with a MalformedStatusError naming the node and the field.
 */
export async function fetchNodeStatus(admin: string, timeoutMs: number): Promise<NodeStatus> {
  const url = `http://${admin}/v1/status`;
  return parseNodeStatus(await fetchJson(url, timeoutMs), url);
}
