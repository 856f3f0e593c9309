// The cluster routes of /v1 (docs/api.md §2.3, §6, §7): lookup, the status of this process's nodes,
// the live event stream (SSE), tokens, and node control (add, kill, shut down, merge) for admins.
import { streamSSE } from "hono/streaming";
import { type ApiContext, body, reply, serving } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { array, integer, literal, object, str } from "./api-schema.js";
import { newToken, SCOPES, type Scope, tokenKey } from "./api-tokens.js";
import { surveyRing } from "./ring-survey.js";
import type { RouteSpec } from "./route-table.js";
import { checkedKey } from "./v1-kv.js";

const tokenBody = object({ scopes: array(literal(...SCOPES), 3), name: str(200) }, ["name"]);
const addBody = object({ count: integer(1, 16) });
const mergeBody = object({ contact: str(256, "host:port of a member of the other ring") });

export function clusterRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      method: "get",
      path: "/v1/lookup/{key}",
      summary: "the node responsible for a key, found through the overlay",
      scope: "read",
      responses: { 200: "{key, id, responsible: {id, addr}, hops, latencyMs}" },
      handler: async (c) => {
        const key = checkedKey(c.req.param("key") ?? "", api);
        const { id, result, latencyMs } = await serving(api).lookup(key);
        if (!result.ok) throw new ApiError("unavailable", `lookup failed: ${result.reason}`);
        return reply(c, 200, {
          key,
          id: id.toString(),
          responsible: { id: result.responsible.id.toString(), addr: result.responsible.addr },
          hops: result.hops,
          latencyMs: Number(latencyMs.toFixed(3)),
        });
      },
    },
    {
      method: "get",
      path: "/v1/ring",
      summary:
        "the whole ring: every node of every process whose API is in the cluster's directory, and whether they form a perfect ring",
      scope: "read",
      responses: { 200: "a ring survey: {perfect, problem, coreSize, branches, nodes, unreachable, …}" },
      handler: async (c) => {
        const headers = c.req.header("authorization");
        return c.json(await surveyRing(await api.directory.addresses(), 2000, headers));
      },
    },
    {
      method: "get",
      path: "/v1/status",
      summary:
        "the status of a ring node this process hosts (its ring pointers, failure detector, transport, store)",
      scope: "read",
      responses: { 200: "a node status", 503: "no node of this process is running" },
      handler: (c) => {
        const node = api.nodes.member() ?? null;
        if (node === null) throw new ApiError("unavailable", "no node of this process is a ring member now");
        return c.json(node.status());
      },
    },
    {
      method: "get",
      path: "/v1/nodes",
      summary: "the status of every ring node this process hosts",
      scope: "read",
      responses: { 200: "{nodes: [status…]}" },
      handler: (c) => c.json({ nodes: api.nodes.live().map((n) => n.status()) }),
    },
    {
      method: "get",
      path: "/v1/ranges",
      summary: "the range changes of each node this process hosts (its predecessor over time)",
      scope: "read",
      responses: { 200: "{nodes: [{name, id, ranges}]}" },
      handler: (c) =>
        c.json({
          nodes: api.nodes
            .live()
            .map((n) => ({ name: n.name, id: n.self.id.toString(), ranges: n.rangeHistory() })),
        }),
    },
    {
      method: "get",
      path: "/v1/events",
      summary:
        "a live stream (Server-Sent Events) of joins, leaves, crashes, suspicions, merges, hand-overs, repairs and transaction outcome counts; Last-Event-ID resumes",
      scope: "read",
      responses: { 200: "text/event-stream", 503: "too many streams open" },
      handler: (c) => {
        if (api.feed.subscribers >= api.limits.eventStreams)
          throw new ApiError("unavailable", `at most ${api.limits.eventStreams} event streams at once`);
        const after = Number(c.req.header("last-event-id") ?? "0");
        return streamSSE(c, async (stream) => {
          let wake: () => void = () => {};
          const queue: { id: string; event: string; data: string }[] = [];
          const unsubscribe = api.feed.subscribe(
            (e) => {
              queue.push({ id: String(e.id), event: e.kind, data: JSON.stringify(e) });
              wake();
            },
            Number.isSafeInteger(after) ? after : 0,
          );
          stream.onAbort(() => {
            unsubscribe();
            wake();
          });
          while (!stream.aborted) {
            for (const message of queue.splice(0)) await stream.writeSSE(message);
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 15_000);
            });
            if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
          }
          unsubscribe();
        });
      },
    },
    {
      method: "post",
      path: "/v1/tokens",
      summary: "create a bearer token (shown once; stored hashed in selfman)",
      scope: "admin",
      body: tokenBody,
      responses: { 200: "{id, token, scopes}" },
      handler: async (c) => {
        const request = await body(c, api, tokenBody);
        const { token, record } = newToken(request.scopes as Scope[], request.name ?? "");
        const r = await serving(api).kv(tokenKey(record.id), { kind: "put", value: { ...record } });
        if (!r.ok) throw new ApiError(r.code, r.message);
        return reply(c, 200, { id: record.id, token, scopes: [...record.scopes] });
      },
    },
    {
      method: "delete",
      path: "/v1/tokens/{id}",
      summary: "revoke a token (other nodes stop accepting it within seconds)",
      scope: "admin",
      responses: { 200: "{id, revoked}" },
      handler: async (c) => {
        const id = c.req.param("id") ?? "";
        if (!/^[0-9a-f]{16}$/.test(id)) throw new ApiError("invalid-argument", "id: 16 hex digits");
        const r = await serving(api).kv(tokenKey(id), { kind: "delete" });
        if (!r.ok) throw new ApiError(r.code, r.message);
        api.tokens?.forget(id);
        return reply(c, 200, { id, revoked: true });
      },
    },
    {
      method: "post",
      path: "/v1/vm/nodes",
      summary: "start more ring nodes in this process",
      scope: "admin",
      body: addBody,
      responses: { 200: "{ok: [names], failed: [names]}" },
      handler: async (c) => {
        const { count } = await body(c, api, addBody);
        return c.json(await api.nodes.addNodes(count));
      },
    },
    {
      method: "delete",
      path: "/v1/vm/nodes/{name}",
      summary:
        "crash (?mode=kill, the default) or gracefully stop (?mode=shutdown) a ring node of this process",
      scope: "admin",
      responses: { 200: "{name, mode}", 404: "no such node here" },
      handler: async (c) => {
        const name = c.req.param("name") ?? "";
        const mode = c.req.query("mode") ?? "kill";
        if (mode !== "kill" && mode !== "shutdown")
          throw new ApiError("invalid-argument", "mode: kill or shutdown");
        const done = mode === "kill" ? api.nodes.kill(name) : await api.nodes.shutdown(name);
        if (!done) throw new ApiError("not-found", `no node ${JSON.stringify(name)} in this process`);
        return c.json({ name, mode });
      },
    },
    {
      method: "post",
      path: "/v1/merge",
      summary: "start a ring merge with another ring through one of its members",
      scope: "admin",
      body: mergeBody,
      responses: {
        202: "the contact answered; the merge runs in the background",
        503: "the contact did not answer",
      },
      handler: async (c) => {
        const { contact } = await body(c, api, mergeBody);
        if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(contact))
          throw new ApiError("invalid-argument", "body.contact: expected host:port");
        try {
          const ref = await serving(api).mergeWith(contact);
          return reply(c, 202, {
            contact: { id: ref.id.toString(), addr: ref.addr },
            message: "merge started",
          });
        } catch (error) {
          throw new ApiError("unavailable", `${contact} did not answer: ${(error as Error).message}`);
        }
      },
    },
  ];
}
