// A Scalaris JSON-RPC client written from the contract (docs/scalaris-api.md §1): one kept-alive socket
// per client, each call percent-encoded as a whole, only `result` read; an `error` member or a
// non-2xx status is a connection error. Integers stay exact (lossless JSON).
import http from "node:http";
import type { Socket } from "node:net";
import { type Json, parseJson, stringifyJson } from "../../src/wire/lossless-json.js";

export class ScalarisConnectionError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = "ScalarisConnectionError";
    this.status = status;
  }
}

export type Tagged = {
  readonly type: "as_is" | "as_bin";
  readonly value: Json;
};

export const asIs = (value: Json): Tagged => ({ type: "as_is", value });
export const asBin = (bytes: Uint8Array): Tagged => ({
  type: "as_bin",
  value: Buffer.from(bytes).toString("base64"),
});

type JsonObject = { readonly [key: string]: Json };

export class ScalarisClient {
  private readonly base: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private nextId = 0;
  /** Every socket a request went out on: one, if the connection was kept. */
  readonly sockets = new Set<Socket>();

  constructor(url: string) {
    this.base = new URL(url);
  }

  /** POSTs `body` (already encoded) to `path`: the status and the raw answer. */
  post(path: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(path, this.base),
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json; charset=utf-8" },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.on("socket", (socket) => {
        socket.setNoDelay(true);
        this.sockets.add(socket);
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  private static encode(call: Json): string {
    return encodeURIComponent(stringifyJson(call));
  }

  private envelope(method: string, params: readonly Json[]): JsonObject {
    return { jsonrpc: "2.0", method, params: [...params], id: this.nextId++ };
  }

  private static resultOf(answer: Json): Json {
    if (typeof answer !== "object" || answer === null || Array.isArray(answer))
      throw new ScalarisConnectionError("not a JSON-RPC answer", 200);
    const object = answer as JsonObject;
    if (object.error !== undefined) throw new ScalarisConnectionError(stringifyJson(object.error), 200);
    if (object.result === undefined) throw new ScalarisConnectionError("no result", 200);
    return object.result;
  }

  /** One call: its result. */
  async call(path: string, method: string, params: readonly Json[]): Promise<Json> {
    const { status, body } = await this.post(path, ScalarisClient.encode(this.envelope(method, params)));
    if (status < 200 || status > 299) throw new ScalarisConnectionError(`HTTP ${status}`, status);
    return ScalarisClient.resultOf(parseJson(body));
  }

  /** Several calls in one batch: their results, in order. */
  async batch(path: string, calls: readonly { method: string; params: readonly Json[] }[]): Promise<Json[]> {
    const envelopes = calls.map((c) => this.envelope(c.method, c.params));
    const { status, body } = await this.post(path, ScalarisClient.encode(envelopes));
    if (status !== 200) throw new ScalarisConnectionError(`HTTP ${status}`, status);
    const answers = parseJson(body) as readonly JsonObject[];
    const byId = new Map(answers.map((a) => [a.id, a]));
    return envelopes.map((e) => ScalarisClient.resultOf(byId.get(e.id ?? null) ?? null));
  }

  /** A notification: no id, so no answer (the raw body is returned, which must be empty). */
  async notify(path: string, method: string, params: readonly Json[]): Promise<string> {
    const { status, body } = await this.post(
      path,
      ScalarisClient.encode({ jsonrpc: "2.0", method, params: [...params] }),
    );
    if (status !== 200) throw new ScalarisConnectionError(`HTTP ${status}`, status);
    return body;
  }

  read(key: string): Promise<Json> {
    return this.call("/api/tx.yaws", "read", [key]);
  }

  write(key: string, value: Tagged): Promise<Json> {
    return this.call("/api/tx.yaws", "write", [key, { ...value }]);
  }

  /** req_list, with the tlog of the transaction's earlier calls (none for the first). */
  async reqList(ops: readonly Json[], tlog?: string): Promise<{ tlog: string; results: Json[] }> {
    const params: Json[] = tlog === undefined ? [[...ops]] : [tlog, [...ops]];
    const result = (await this.call("/api/tx.yaws", "req_list", params)) as JsonObject;
    return { tlog: result.tlog as string, results: [...(result.results as readonly Json[])] };
  }

  close(): void {
    this.agent.destroy();
  }
}
