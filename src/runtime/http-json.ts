// The admin port's HTTP plumbing (docs/live-runtime.md §4): JSON answers with ids as decimal strings,
// integer query parameters checked against their bounds, the route type the admin server takes, and
// the node a request is served by (one node, or one a NodeHost picks per request, docs/live-runtime.md §7).
import type http from "node:http";
import type { LiveNode } from "./live-node.js";

/** The node that serves admin requests: a fixed one, or one chosen per request (null: none runs). */
export type ServedNode = LiveNode | (() => LiveNode | null);

/** The node to serve this request, or null (after answering 503) if the process runs none. */
export function servingNode(served: ServedNode, res: http.ServerResponse): LiveNode | null {
  const node = typeof served === "function" ? served() : served;
  if (node === null)
    sendJson(res, 503, { error: "unavailable", message: "no node runs in this process now" });
  return node;
}

/** One route (or a group): answers and resolves true if the request is its, else resolves false. */
export type AdminRoute = (url: URL, req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

/** Answers `status` with `body` as one line of JSON (bigints as decimal strings). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(`${text}\n`);
}

/** 400 with the error-code shape every admin answer uses. */
export function badRequest(res: http.ServerResponse, message: string): void {
  sendJson(res, 400, { error: "invalid-argument", message });
}

/** The query parameter `name` as an integer in [min, max], or the sentence that says it is not. */
export function intParam(url: URL, name: string, min: number, max: number): number | string {
  const raw = url.searchParams.get(name);
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < min || n > max)
    return `${name}: expected an integer in [${min}, ${max}]`;
  return n;
}
