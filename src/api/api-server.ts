// The API server of a node process (docs/api.md §1): one HTTP/1.1 server with keep-alive serving the
// /v1 JSON API, Scalaris's JSON-RPC paths, /metrics, /health and /ready, on hono. Tokens, limits and
// timeouts apply before any route runs; a bad request of any kind gets a JSON 4xx with the reason and
// never reaches protocol code unvalidated. Refuses to bind a non-loopback address without tokens.
import http from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import { Admission } from "./api-admission.js";
import { type ApiContext, type ApiEnv, bodyText, reply } from "./api-context.js";
import { ApiDirectory } from "./api-directory.js";
import { ApiError, asApiError, errorHeaders } from "./api-error.js";
import { type ApiLimits, DEFAULT_LIMITS } from "./api-limits.js";
import { ApiMetrics } from "./api-metrics.js";
import { grants, readAuthFile, type Scope, TokenVerifier } from "./api-tokens.js";
import { ClusterSecret } from "./cluster-secret.js";
import { crossSiteRefusal } from "./cross-site.js";
import { EventFeed } from "./event-feed.js";
import type { HostedNodes } from "./hosted-nodes.js";
import {
  adapterErrorResponse,
  malformedTarget,
  missingHost,
  refuseClientError,
  refuseConnect,
  refuseExpectation,
  refuseResponse,
} from "./http-refusals.js";
import { answerJsonRpc, JSONRPC_PATHS, type JsonRpcContext } from "./jsonrpc/answer-json-rpc.js";
import { kvFastPath } from "./kv-fast-path.js";
import { openApiDocument } from "./openapi.js";
import { honoPath, type RouteSpec } from "./route-table.js";
import { clusterRoutes } from "./v1-cluster.js";
import { clusterControlRoutes } from "./v1-cluster-control.js";
import { kvRoutes } from "./v1-kv.js";
import { replicaRoutes } from "./v1-replicas.js";
import { txRoutes } from "./v1-tx.js";

export interface ApiServerOptions {
  readonly nodes: HostedNodes;
  readonly host: string;
  readonly port: number;
  /** The auth file's token records; null runs without tokens (refused off loopback). */
  readonly authFile: string | null;
  readonly limits?: Partial<ApiLimits>;
  readonly version: string;
  readonly replication: number;
  readonly logger?: Logger;
  /**
   * Web files by path (the dashboard at / and /ui), served without a token: they hold no data, and the
   * page's own calls go through the API's admission like any client's.
   */
  readonly web?: WebFiles;
  /** How often the event feed samples the nodes. */
  readonly sampleIntervalMs?: number;
  /**
   * The benchmarks' load routes under /bench/ (they make a node drive load on itself): true if one
   * answered. Served only without tokens, that is on loopback.
   */
  readonly bench?: (url: URL, req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

export interface ApiServer {
  readonly server: http.Server;
  /** host:port it listens on. */
  readonly address: string;
  readonly feed: EventFeed;
  readonly context: ApiContext;
  close(): Promise<void>;
}

export class ApiConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiConfigError";
  }
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** How often a server renews its entry in the cluster's API directory. */
const DIRECTORY_RENEW_MS = 10_000;

/** What the JSON-RPC methods need, for a caller with `scopes` (docs/scalaris-api.md §1). */
function jsonRpcContext(api: ApiContext, scopes: readonly Scope[]): JsonRpcContext {
  const [host, port] = splitAddress(api.address());
  const first = api.nodes.live()[0];
  return {
    nodes: api.nodes,
    secret: api.secret,
    replication: api.replication,
    version: api.version,
    info: () => ({
      ip: host,
      port: first === undefined ? 0 : Number(first.self.addr.split(":").at(-1)),
      apiPort: port,
      uptimeSec: Math.round((Date.now() - api.startedAtMs) / 1000),
      memTotal: process.memoryUsage().rss,
      processName: first?.name ?? "selfman",
      runtimeVersion: process.versions.node,
    }),
    can: (scope) => grants(scopes, scope),
  };
}

const remoteAddress = (c: Context<ApiEnv>) => c.env.incoming.socket.remoteAddress ?? "?";

/** Static files a server offers: their paths, and each one's type and text. */
export interface WebFiles {
  readonly paths: readonly string[];
  readonly get: (path: string) => Promise<{ readonly contentType: string; readonly body: string } | null>;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

function buildApp(
  api: ApiContext,
  admission: Admission,
  routes: readonly RouteSpec[],
  web: WebFiles | null,
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.onError((error, c) => {
    const e = asApiError(error);
    for (const [name, value] of Object.entries(errorHeaders(e))) c.header(name, value);
    // lossless: a request-failed answer carries the current values, integers of any size among them
    return c.body(e.text(), e.status as 500, { "content-type": "application/json; charset=utf-8" });
  });
  app.notFound((c) =>
    c.json(
      new ApiError("not-found", `no route ${c.req.method} ${c.req.path}; see /v1/openapi.json`).body(),
      404,
    ),
  );
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    api.metrics.observe(c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });
  app.use("*", async (c, next) => {
    const refusal = crossSiteRefusal(
      {
        method: c.req.method,
        host: c.req.header("host"),
        origin: c.req.header("origin"),
        fetchSite: c.req.header("sec-fetch-site"),
      },
      api.tokens !== null,
    );
    if (refusal !== null) throw refusal;
    await next();
  });
  app.get("/health", (c) => c.json({ ok: true }));
  app.get("/ready", (c) =>
    api.nodes.member() === null
      ? c.json(new ApiError("unavailable", "no node of this process is a ring member yet").body(), 503)
      : c.json({ ready: true, nodes: api.nodes.names() }),
  );
  for (const path of web?.paths ?? [])
    app.get(path, async (c) => {
      const file = await web?.get(path);
      if (file === null || file === undefined) return c.notFound();
      return c.body(file.body, 200, { "content-type": file.contentType, "cache-control": "no-cache" });
    });
  app.get("/v1/openapi.json", (c) => reply(c, 200, openApiDocument(routes, api.version)));
  app.get("/metrics", async (c) => {
    await admission.admit(c.req.header("authorization"), remoteAddress(c), "read");
    return c.body(await api.metrics.text(), 200, { "content-type": api.metrics.registry.contentType });
  });
  for (const path of JSONRPC_PATHS)
    app.all(path, async (c) => {
      let scopes: readonly Scope[];
      try {
        scopes = await admission.admit(c.req.header("authorization"), remoteAddress(c), null);
      } catch (error) {
        // a refused caller gets a JSON-RPC error object, as a Scalaris client reads errors
        const e = asApiError(error);
        const body = {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32000, message: `${e.code}: ${e.message}` },
        };
        return c.json(body, e.status as 401, errorHeaders(e));
      }
      let text: string;
      try {
        text = c.req.method === "POST" ? await bodyText(c, api.limits.bodyBytes) : "";
      } catch (error) {
        // Scalaris's answer to a body over the limit; a body cut short is the client's 400 (onError)
        if (!(error instanceof ApiError) || error.code !== "too-large") throw error;
        return c.body("\n", 413, { connection: "close" });
      }
      const answer = await answerJsonRpc(path, c.req.method, text, jsonRpcContext(api, scopes));
      return c.body(answer.body, answer.status as 200, { "content-type": answer.contentType });
    });
  for (const route of routes)
    app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
      await admission.admit(c.req.header("authorization"), remoteAddress(c), route.scope);
      return route.handler(c, api);
    });
  return app;
}

/** How often the header and request timeouts are checked: a quarter of the shorter, within [50 ms, 1 s]. */
export function timeoutCheckMs(limits: ApiLimits): number {
  return Math.max(
    50,
    Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
  );
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  if (options.authFile === null && !isLoopback(options.host))
    throw new ApiConfigError(
      `refusing to serve the API on ${options.host} without tokens: anyone who reaches it could read, write and stop nodes. Create a token file (selfman token create --scope admin --auth-file FILE) and pass --auth-file FILE, or bind 127.0.0.1`,
    );
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new ApiConfigError(
      `the header timeout (${limits.headersTimeoutMs} ms) is longer than the whole request's (${limits.requestTimeoutMs} ms): the header is part of the request`,
    );
  const feed = new EventFeed();
  const statuses = () => options.nodes.live().map((n) => n.status());
  let address = `${options.host}:${options.port}`;
  const api: ApiContext = {
    nodes: options.nodes,
    limits,
    tokens: options.authFile === null ? null : new TokenVerifier(readAuthFile(options.authFile)),
    secret: new ClusterSecret(),
    metrics: new ApiMetrics(statuses),
    feed,
    directory: new ApiDirectory(options.nodes, () => address),
    version: options.version,
    replication: options.replication,
    startedAtMs: Date.now(),
    address: () => address,
  };
  const routes = [
    ...kvRoutes(api),
    ...txRoutes(api),
    ...clusterRoutes(api),
    ...replicaRoutes(api),
    ...clusterControlRoutes(api),
  ];
  const admission = new Admission(api);
  const app = buildApp(api, admission, routes, options.web ?? null);
  // hostname: the URL of an HTTP/1.0 request without Host (HTTP/1.1 ones are refused below)
  const listener = getRequestListener(app.fetch, {
    errorHandler: adapterErrorResponse,
    hostname: "localhost",
  });
  const fast = kvFastPath(api, admission);
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.headerBytes,
      // Node's own refusal is an empty 400: answered below in the JSON shape instead
      requireHostHeader: false,
      // Node checks the two timeouts above only this often (30 s by default): a slow request would
      // hold its connection up to that much longer than its timeout says
      connectionsCheckingInterval: timeoutCheckMs(limits),
      noDelay: true,
    },
    (req, res) => {
      // Nothing here upgrades: the request is served as plain HTTP, but Node's parser reads nothing
      // more from a connection that asked to upgrade, so it must not be offered for another request
      if (req.headers.upgrade !== undefined) res.shouldKeepAlive = false;
      if (missingHost(req)) {
        refuseResponse(res, 400, new ApiError("invalid-argument", "an HTTP/1.1 request needs a Host header"));
        return;
      }
      const malformed = malformedTarget(req);
      if (malformed !== null) {
        refuseResponse(res, 400, new ApiError("invalid-argument", malformed));
        return;
      }
      if (fast(req, res)) return;
      const bench = options.authFile === null ? options.bench : undefined;
      if (bench === undefined || !(req.url ?? "").startsWith("/bench/")) {
        void listener(req, res);
        return;
      }
      bench(new URL(req.url ?? "/", "http://api"), req, res)
        .then((answered) => {
          if (!answered) void listener(req, res);
        })
        .catch(() => res.destroy());
    },
  );
  server.on("clientError", refuseClientError);
  server.on("checkExpectation", refuseExpectation);
  server.on("connect", (_req: http.IncomingMessage, socket: Duplex) => refuseConnect(socket));
  await listen(server, options.host, options.port);
  const bound = server.address();
  if (bound !== null && typeof bound === "object") address = `${options.host}:${bound.port}`;
  api.directory.start(DIRECTORY_RENEW_MS);
  const sampler = setInterval(
    () => feed.sample(statuses(), api.metrics.tx),
    options.sampleIntervalMs ?? 1000,
  );
  sampler.unref();
  options.logger?.info({ api: address, tokens: api.tokens !== null }, "API serving");
  return {
    server,
    address,
    feed,
    context: api,
    close: async () => {
      clearInterval(sampler);
      api.directory.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
