// Reading a node's admin port over HTTP (docs/live-runtime.md §4): what the local cluster, the CLI, the
// ring survey and the benchmarks use. An answer that is not 2xx becomes an Error with the node's own
// message.
import type { NodeStatus } from "./node-status.js";

/**
 * GETs `url` and returns its JSON body. The type parameter is the caller's word for the shape: readers
 * of /status use fetchNodeStatus, which checks it.
 */
export async function fetchJson<T = unknown>(url: string, timeoutMs: number): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `${url}: HTTP ${response.status}`);
  return body;
}

/** The /status of the node whose admin port is `admin` (host:port). */
export function fetchNodeStatus(admin: string, timeoutMs: number): Promise<NodeStatus> {
  return fetchJson<NodeStatus>(`http://${admin}/status`, timeoutMs);
}
