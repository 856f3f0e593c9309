// What every route of the API server shares (docs/api.md §1): the hosted nodes, limits, tokens, the
// cluster secret, metrics and the event feed — and the helpers that read a request body within the
// limits, answer JSON losslessly, and pick the node that serves a request.

import type { IncomingMessage } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import type { LiveNode } from "../runtime/live-node.js";
import { type Json, type JsonSyntaxError, parseJson, stringifyJson } from "../wire/lossless-json.js";
import type { ApiDirectory } from "./api-directory.js";
import { ApiError } from "./api-error.js";
import type { ApiLimits } from "./api-limits.js";
import type { ApiMetrics } from "./api-metrics.js";
import { type ApiSchema, ApiSchemaError } from "./api-schema.js";
import type { Scope, TokenVerifier } from "./api-tokens.js";
import type { ClusterSecret } from "./cluster-secret.js";
import type { EventFeed } from "./event-feed.js";
import type { HostedNodes } from "./hosted-nodes.js";

export interface ApiContext {
  readonly nodes: HostedNodes;
  readonly limits: ApiLimits;
  /** null: the cluster runs without tokens (loopback only), every request has every scope. */
  readonly tokens: TokenVerifier | null;
  readonly secret: ClusterSecret;
  readonly metrics: ApiMetrics;
  readonly feed: EventFeed;
  readonly directory: ApiDirectory;
  readonly version: string;
  readonly replication: number;
  readonly startedAtMs: number;
  /** Where this server listens (host:port), for vm.get_info. */
  readonly address: () => string;
}

/** Hono's per-request variables: the scopes the caller's token carries. */
export type ApiEnv = { Bindings: HttpBindings; Variables: { scopes: readonly Scope[] } };

/** A live member of this process to serve the request, or 503. */
export function serving(api: ApiContext): LiveNode {
  const node = api.nodes.member();
  if (node === null)
    throw new ApiError("unavailable", "no node of this process is a ring member now; try another");
  return node;
}

/**
 * A request body as text, at most `limit` bytes, read from the socket's stream (cheaper than a Web
 * Request's body, and a GET pays nothing). Over the limit: 413 with `closes` set — the rest is not
 * read, so the connection must close after the answer.
 */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new ApiError("too-large", `a body of at most ${limit} bytes`, {}, true);
  if (Number(incoming.headers["content-length"] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.off("data", onData);
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    // a client gone before the body ended is its failure, not the server's: 400, never a 500 (and the
    // promise settles, so the handler and its chunks are not held forever)
    const cut = (error?: Error) =>
      reject(
        new ApiError("invalid-argument", `the body did not arrive whole: ${error?.message ?? "closed"}`),
      );
    incoming.on("data", onData);
    incoming.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    incoming.once("error", cut);
    incoming.once("close", () => {
      if (!incoming.readableEnded) cut();
    });
  });
}

/** The hono request's body as text (readIncoming). */
export function bodyText(c: Context<ApiEnv>, limit: number): Promise<string> {
  return readIncoming(c.env.incoming, limit);
}

/** Lossless JSON text, validated by `schema`; a 400 that says where it is wrong otherwise. */
export function parseBody<T>(text: string, api: ApiContext, schema: ApiSchema<T>): T {
  let json: Json;
  try {
    json = parseJson(text, { maxDepth: api.limits.jsonDepth });
  } catch (error) {
    throw new ApiError("invalid-argument", `the body is not JSON: ${(error as JsonSyntaxError).message}`);
  }
  try {
    return schema.parse(json, "body");
  } catch (error) {
    if (error instanceof ApiSchemaError) throw new ApiError("invalid-argument", error.message);
    throw error;
  }
}

/** The request body as lossless JSON, validated by `schema`. */
export async function body<T>(c: Context<ApiEnv>, api: ApiContext, schema: ApiSchema<T>): Promise<T> {
  return parseBody(await bodyText(c, api.limits.bodyBytes), api, schema);
}

/** A JSON answer, integers of any size printed exactly. */
export function reply(c: Context<ApiEnv>, status: number, json: Json): Response {
  return c.body(stringifyJson(json), status as 200, { "content-type": "application/json; charset=utf-8" });
}
