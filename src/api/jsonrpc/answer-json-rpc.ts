// The JSON-RPC API's one entry point (docs/scalaris-api.md §1, §2): path, HTTP method and body in; status,
// content type and body out — percent-decoded, parsed losslessly, single calls, batches, notifications.
// Must not break: it never throws; every answer is 200, 403, 404, 413, 500 or 501 (all but 200 with "\n").
import { type Json, JsonSyntaxError, parseJson, stringifyJson } from "../../wire/lossless-json.js";
import {
  type Call,
  errorAnswer,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  readCall,
  resultAnswer,
  UNKNOWN_REQUEST,
} from "./envelope.js";
import type { JsonRpcContext } from "./json-rpc-context.js";
import { METHOD_TABLES, type Method, methodOf } from "./method-table.js";
import { percentDecode } from "./percent-decoding.js";
import { Forbidden, MethodNotFound, UnknownRequest } from "./rpc-errors.js";

export type { JsonRpcContext, Scope, VmInfo } from "./json-rpc-context.js";

export interface JsonRpcAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The paths answerJsonRpc serves. */
export const JSONRPC_PATHS: readonly string[] = Object.keys(METHOD_TABLES);

/** Bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 1 << 20;

const JSON_TYPE = "application/json";
const bare = (status: number): JsonRpcAnswer => ({
  status,
  contentType: "text/plain; charset=utf-8",
  body: "\n",
});
const json = (value: Json): JsonRpcAnswer => ({
  status: 200,
  contentType: JSON_TYPE,
  body: `${stringifyJson(value)}\n`,
});

type Table = (typeof METHOD_TABLES)[string];

/** The calls of a body: one, or a batch. */
function callsOf(parsed: Json): { calls: Call[]; batch: boolean } {
  if (Array.isArray(parsed)) return { calls: (parsed as readonly Json[]).map(readCall), batch: true };
  return { calls: [readCall(parsed)], batch: false };
}

/** Checks every call's scope before any runs, so a refused batch changes nothing. */
function checkScopes(table: Table, calls: readonly Call[], ctx: JsonRpcContext): void {
  for (const call of calls) {
    const method = call.params === null ? undefined : methodOf(table, call.method, call.params.length);
    if (method !== undefined && call.params !== null && !ctx.can(method.scope(call.params)))
      throw new Forbidden(`${call.method} is not allowed with this token`);
  }
}

async function resultOf(method: Method | undefined, call: Call, ctx: JsonRpcContext): Promise<Json> {
  if (method === undefined || call.params === null) throw new UnknownRequest(call.method);
  return method.run(ctx, call.params);
}

/** One call's answer; null for a notification. */
async function answerCall(table: Table, call: Call, ctx: JsonRpcContext): Promise<Json | null> {
  let answer: Json;
  try {
    if (call.params === null) throw new MethodNotFound("params must be a list");
    const method = methodOf(table, call.method, call.params.length);
    answer = resultAnswer(call.id ?? null, await resultOf(method, call, ctx));
  } catch (error) {
    if (error instanceof UnknownRequest) answer = resultAnswer(call.id ?? null, UNKNOWN_REQUEST);
    else if (error instanceof MethodNotFound)
      answer = errorAnswer(call.id ?? null, METHOD_NOT_FOUND.code, METHOD_NOT_FOUND.message);
    else throw error;
  }
  return call.id === undefined ? null : answer;
}

async function answerBody(table: Table, text: string, ctx: JsonRpcContext): Promise<JsonRpcAnswer> {
  let parsed: Json;
  try {
    parsed = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return json(PARSE_ERROR);
    throw error;
  }
  const { calls, batch } = callsOf(parsed);
  checkScopes(table, calls, ctx);
  const answers: Json[] = [];
  for (const call of calls) {
    const answer = await answerCall(table, call, ctx);
    if (answer !== null) answers.push(answer);
  }
  const [single] = answers;
  if (single === undefined) return { status: 200, contentType: JSON_TYPE, body: "" };
  return json(batch ? answers : single);
}

/** The answer to `httpMethod path` with `body` (the raw request body, as text). Never rejects. */
export async function answerJsonRpc(
  path: string,
  httpMethod: string,
  body: string,
  ctx: JsonRpcContext,
): Promise<JsonRpcAnswer> {
  const table = Object.hasOwn(METHOD_TABLES, path) ? METHOD_TABLES[path] : undefined;
  if (table === undefined) return bare(404);
  if (httpMethod.toUpperCase() !== "POST") return bare(501);
  if (Buffer.byteLength(body, "utf8") > MAX_BODY_BYTES) return bare(413);
  try {
    return await answerBody(table, percentDecode(body), ctx);
  } catch (error) {
    return bare(error instanceof Forbidden ? 403 : 500);
  }
}
