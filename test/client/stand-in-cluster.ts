// A STAND-IN for the /v1 API (docs/client.md §2), only until the real server lands: node:http servers over
// one in-memory store, faithful to the contract's shapes (versions, updates, request lists, tlog conflicts,
// SSE with Last-Event-ID), with fault hooks. Its tlog is plain base64 JSON, not integrity-protected.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Json, parseJson, stringifyJson } from "../../src/wire/lossless-json.js";

type JsonObject = { readonly [key: string]: Json };

interface Item {
  value: Json;
  version: number;
  found: boolean;
}

/** What a fault does to the next request it matches. */
export type FaultAction =
  | { readonly kind: "drop-before" }
  | { readonly kind: "drop-after-apply" }
  | {
      readonly kind: "answer";
      readonly status: number;
      readonly body: Json;
      readonly headers?: Record<string, string>;
    };

export interface Fault {
  readonly method: string;
  readonly pathPrefix: string;
  readonly action: FaultAction;
}

interface StoredEvent {
  readonly id: number;
  readonly kind: string;
  readonly data: Json;
}

interface Tlog {
  readonly reads: { readonly [key: string]: number };
  readonly writes: readonly Json[];
}

/** A client error the stand-in answers with. */
class ApiError extends Error {
  readonly status: number;
  readonly body: JsonObject;
  constructor(status: number, body: JsonObject) {
    super(String(body.error));
    this.status = status;
    this.body = body;
  }
}

function isObject(json: Json | undefined): json is JsonObject {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

function same(a: Json, b: Json): boolean {
  return stringifyJson(a) === stringifyJson(b);
}

function asBigInt(json: Json): bigint | null {
  if (typeof json === "bigint") return json;
  if (typeof json === "number" && Number.isInteger(json)) return BigInt(json);
  return null;
}

function normalized(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function bad(message: string): ApiError {
  return new ApiError(400, { error: "invalid-argument", message });
}

/** The shared state of the stand-in cluster: items, the event log, how many commits to refuse. */
export class StandInStore {
  readonly items = new Map<string, Item>();
  readonly events: StoredEvent[] = [];
  /** The next this many tlog commits answer 409 conflict, whatever they read. */
  forcedConflicts = 0;
  commits = 0;
  readonly listeners = new Set<(event: StoredEvent) => void>();

  item(key: string): Item {
    return this.items.get(key) ?? { value: null, version: 0, found: false };
  }

  set(key: string, value: Json, found = true): number {
    const version = this.item(key).version + 1;
    this.items.set(key, { value: found ? value : null, version, found });
    return version;
  }

  emit(kind: string, data: Json): void {
    const event = { id: this.events.length + 1, kind, data };
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }
}

/** The result of one request-list op against `view` (a key → item map the op may change). */
function runOp(
  op: Json,
  view: (key: string) => Item,
  write: (key: string, value: Json, found: boolean) => void,
): JsonObject {
  if (!isObject(op) || typeof op.key !== "string") throw bad("an op needs a key");
  const key = op.key;
  const item = view(key);
  switch (op.op) {
    case "read":
      return { ok: true, value: item.value, found: item.found };
    case "write":
      write(key, op.value ?? null, true);
      return { ok: true, value: op.value ?? null, found: item.found };
    case "delete":
      write(key, null, false);
      return { ok: true, value: null, found: item.found };
    case "add_on_nr": {
      const base = item.found ? asBigInt(item.value) : 0n;
      const by = asBigInt(op.by ?? null);
      if (base === null || by === null) return { ok: false, reason: "not_a_number", value: item.value };
      const value = normalized(base + by);
      write(key, value, true);
      return { ok: true, value, found: item.found };
    }
    case "add_del_on_list": {
      const list = item.found ? item.value : [];
      if (!Array.isArray(list)) return { ok: false, reason: "not_a_list", value: item.value };
      const del = Array.isArray(op.del) ? op.del : [];
      const add = Array.isArray(op.add) ? op.add : [];
      const value = [...list.filter((v) => !del.some((d) => same(d, v))), ...add];
      write(key, value, true);
      return { ok: true, value, found: item.found };
    }
    case "test_and_set": {
      const current = item.found ? item.value : null;
      if (!same(current, op.old ?? null)) return { ok: false, reason: "key_changed", value: current };
      write(key, op.new ?? null, true);
      return { ok: true, value: op.new ?? null, found: item.found };
    }
    default:
      throw bad(`unknown op ${String(op.op)}`);
  }
}

function encodeTlog(tlog: Tlog): string {
  return Buffer.from(stringifyJson(tlog as unknown as Json)).toString("base64");
}

function decodeTlog(text: Json | undefined): Tlog {
  if (text === undefined || text === null) return { reads: {}, writes: [] };
  if (typeof text !== "string") throw bad("tlog must be a string");
  const json = parseJson(Buffer.from(text, "base64").toString("utf8"));
  if (!isObject(json) || !isObject(json.reads) || !Array.isArray(json.writes)) throw bad("bad tlog");
  return json as unknown as Tlog;
}

/** One node of the stand-in: an HTTP server over the shared store, with its own faults. */
export class StandInNode {
  readonly store: StandInStore;
  readonly token: string | null;
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  readonly faults: Fault[] = [];
  readonly seen: { method: string; path: string; lastEventId: string | null }[] = [];
  url = "";
  alive = false;

  constructor(store: StandInStore, token: string | null) {
    this.store = store;
    this.token = token;
    this.server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.alive = true;
  }

  /** Like kill -9: every connection is cut at once and the port refuses new ones. */
  kill(): void {
    this.alive = false;
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  #takeFault(method: string, path: string): FaultAction | null {
    const index = this.faults.findIndex((f) => f.method === method && path.startsWith(f.pathPrefix));
    if (index < 0) return null;
    const [fault] = this.faults.splice(index, 1);
    return fault?.action ?? null;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const lastEventId =
      typeof req.headers["last-event-id"] === "string" ? req.headers["last-event-id"] : null;
    this.seen.push({ method, path, lastEventId });
    const text = await readBody(req);
    const fault = this.#takeFault(method, path);
    if (fault?.kind === "drop-before") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "answer") {
      send(res, fault.status, fault.body, fault.headers);
      return;
    }
    if (this.token !== null && req.headers.authorization !== `Bearer ${this.token}`) {
      send(res, 401, { error: "unauthenticated", message: "no or wrong token" });
      return;
    }
    if (method === "GET" && path === "/v1/events") {
      this.#events(res, lastEventId);
      return;
    }
    let status = 200;
    let body: Json;
    try {
      body = this.#route(method, path, text === "" ? null : parseJson(text));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      body = error.body;
    }
    if (fault?.kind === "drop-after-apply") {
      req.socket.destroy();
      return;
    }
    send(res, status, body);
  }

  #route(method: string, path: string, body: Json): Json {
    const kv = /^\/v1\/kv\/(.+)$/.exec(path);
    if (kv?.[1] !== undefined) return this.#kv(method, decodeURIComponent(kv[1]), body);
    if (method === "POST" && path === "/v1/tx") return this.#tx(body);
    const lookup = /^\/v1\/lookup\/(.+)$/.exec(path);
    if (lookup?.[1] !== undefined) {
      const key = decodeURIComponent(lookup[1]);
      return { key, id: 2n ** 127n + 5n, responsible: { id: "42", addr: this.url }, hops: 1, latencyMs: 0.5 };
    }
    if (path === "/v1/ring") return { nodes: [{ id: "42", addr: this.url }], perfect: true, branches: 0 };
    if (path === "/v1/status") return { url: this.url, serving: true };
    if (path === "/health") return { ok: true };
    throw new ApiError(404, { error: "not-found", message: path });
  }

  #kv(method: string, key: string, body: Json): Json {
    const store = this.store;
    const item = store.item(key);
    if (method === "GET") return { key, found: item.found, value: item.value, version: item.version };
    if (method === "PUT") {
      if (!isObject(body) || !("value" in body)) throw bad("PUT needs {value}");
      return { key, version: store.set(key, body.value ?? null) };
    }
    // as the real node: the answer says no "found" (docs/api.md §2)
    if (method === "DELETE") return { key, version: store.set(key, null, false) };
    if (method !== "POST" || !isObject(body)) throw bad("bad kv request");
    return { key, ...this.#update(key, item, body) };
  }

  #update(key: string, item: Item, body: JsonObject): JsonObject {
    const store = this.store;
    const current = item.found ? item.value : null;
    if (body.op === "cas") {
      if (!same(current, body.expected ?? null)) {
        return { applied: false, found: item.found, value: current, version: item.version };
      }
      const value = body.value ?? null;
      return { applied: true, found: item.found, value, version: store.set(key, value) };
    }
    if (body.op === "incr") {
      const base = item.found ? asBigInt(item.value) : 0n;
      const by = asBigInt(body.by ?? 1);
      if (base === null || by === null) throw bad("incr of a non-number");
      const value = normalized(base + by);
      return { applied: true, found: item.found, value, version: store.set(key, value) };
    }
    if (body.op === "append" || body.op === "remove") {
      const list = item.found ? item.value : [];
      if (!Array.isArray(list)) throw bad(`${body.op} on a non-list`);
      const target = body.value ?? null;
      const at = list.findIndex((v) => same(v, target));
      const value = body.op === "append" ? [...list, target] : list.filter((_, i) => i !== at);
      return {
        applied: body.op === "append" || at >= 0,
        found: item.found,
        value,
        version: store.set(key, value),
      };
    }
    throw bad(`unknown op ${String(body.op)}`);
  }

  #tx(body: Json): Json {
    if (!isObject(body) || !Array.isArray(body.ops)) throw bad("POST /v1/tx needs ops");
    const ops: readonly Json[] = body.ops;
    const commit = body.commit !== false;
    if ((body.tlog === undefined || body.tlog === null) && commit) return this.#requestList(ops);
    const tlog = decodeTlog(body.tlog);
    const reads: { [key: string]: number } = { ...tlog.reads };
    const writes = [...tlog.writes, ...ops.filter((op) => isObject(op) && op.op !== "read")];
    const results = this.#inView(tlog.writes, ops, reads);
    if (!commit) return { committed: false, tlog: encodeTlog({ reads, writes }), results };
    this.store.commits++;
    const changed = Object.keys(reads).filter((k) => this.store.item(k).version !== reads[k]);
    if (this.store.forcedConflicts > 0) {
      this.store.forcedConflicts--;
      changed.push(...Object.keys(reads).slice(0, 1));
    }
    if (changed.length > 0) throw new ApiError(409, { error: "conflict", message: "aborted", keys: changed });
    for (const op of writes)
      runOp(
        op,
        (k) => this.store.item(k),
        (k, v, f) => this.store.set(k, v, f),
      );
    return { committed: true, tlog: null, results };
  }

  /** Runs `ops` on the store as the tlog's earlier writes left it (nothing is stored); notes what was read. */
  #inView(earlier: readonly Json[], ops: readonly Json[], reads: { [key: string]: number }): Json[] {
    const view = new Map<string, Item>();
    const look = (key: string): Item => {
      const item = view.get(key) ?? this.store.item(key);
      if (!(key in reads) && !view.has(key)) reads[key] = item.version;
      return item;
    };
    const write = (key: string, value: Json, found: boolean): void => {
      view.set(key, { value, version: -1, found });
    };
    for (const op of earlier) runOp(op, look, write);
    return ops.map((op, index) => {
      const result = runOp(op, look, write);
      if (result.ok === false)
        throw new ApiError(409, { error: "request-failed", message: "op failed", index, results: [result] });
      return result;
    });
  }

  #requestList(ops: readonly Json[]): Json {
    const staged = new Map<string, Item>();
    const look = (key: string): Item => staged.get(key) ?? this.store.item(key);
    const write = (key: string, value: Json, found: boolean): void => {
      staged.set(key, { value, version: -1, found });
    };
    const results: Json[] = [];
    for (const [index, op] of ops.entries()) {
      const result = runOp(op, look, write);
      results.push(result);
      if (result.ok === false) {
        throw new ApiError(409, { error: "request-failed", message: "op failed", index, results });
      }
    }
    for (const [key, item] of staged) this.store.set(key, item.value, item.found);
    return { committed: true, tlog: null, results };
  }

  #events(res: ServerResponse, lastEventId: string | null): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.write("retry: 20\n: stand-in event stream\n\n");
    const write = (event: StoredEvent): void => {
      res.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${stringifyJson(event.data)}\n\n`);
    };
    const after = lastEventId === null ? this.store.events.length : Number(lastEventId);
    for (const event of this.store.events.slice(after)) write(event);
    this.store.listeners.add(write);
    res.on("close", () => this.store.listeners.delete(write));
  }

  /** Ends every open event stream cleanly (the server closes them; the node stays up). */
  endEventStreams(): void {
    for (const socket of this.sockets) socket.end();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(stringifyJson(body));
}

/** A stand-in cluster of `count` nodes over one store. */
export class StandInCluster {
  readonly store = new StandInStore();
  readonly nodes: StandInNode[];

  constructor(count: number, token: string | null = null) {
    this.nodes = Array.from({ length: count }, () => new StandInNode(this.store, token));
  }

  async start(): Promise<this> {
    for (const node of this.nodes) await node.start();
    return this;
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  node(index: number): StandInNode {
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`no node ${index}`);
    return node;
  }

  stop(): void {
    for (const node of this.nodes) if (node.alive) node.kill();
  }
}

/** A URL whose port refuses connections: a server is bound on it and closed again. */
export async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
