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
export async function fetchJson<T = unknown>(
  url: string,
  timeoutMs: number,
  authorization?: string,
): Promise<T> {
  const headers = authorization === undefined ? authHeader() : { authorization };
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `${url}: HTTP ${response.status}`);
  return body;
}

/**
 * The status of a node the API at `admin` (host:port) serves, checked: an answer of the wrong shape
 * rejects with a MalformedStatusError naming the node and the field.
 */
export async function fetchNodeStatus(admin: string, timeoutMs: number): Promise<NodeStatus> {
  const url = `http://${admin}/v1/status`;
  return parseNodeStatus(await fetchJson(url, timeoutMs), url);
}

/**
 * The status of every node the process whose API is at `admin` hosts (/v1/nodes), each checked like
 * fetchNodeStatus's.
 */
export async function fetchNodeStatuses(
  admin: string,
  timeoutMs: number,
  authorization?: string,
): Promise<NodeStatus[]> {
  const url = `http://${admin}/v1/nodes`;
  const body = await fetchJson<{ nodes?: unknown }>(url, timeoutMs, authorization);
  if (typeof body !== "object" || body === null || !Array.isArray(body.nodes))
    return [parseNodeStatus(body, url)];
  return body.nodes.map((status, i) => parseNodeStatus(status, `${url} nodes[${i}]`));
}
