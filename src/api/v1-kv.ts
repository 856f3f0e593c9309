// Single-key operations on /v1/kv/{key} (docs/api.md §2.1): get, put, delete, and cas, incr, append,
// remove through POST. Each is one linearizable register operation on the key's replicas
// (docs/register.md); values go in and out in their client form (wire/api-value.ts).
import type { Context } from "hono";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import { type ApiValue, fromStored, toStored, toWireJson } from "../wire/api-value.js";
import { type Json, stringifyJson } from "../wire/lossless-json.js";
import { type ApiContext, type ApiEnv, body, bodyText, parseBody, reply, serving } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { apiValue, finiteNumber, object, tagged } from "./api-schema.js";
import type { RouteSpec } from "./route-table.js";
import { isSystemKey } from "./system-keys.js";

type UpdateBody =
  | { op: "cas"; expected: ApiValue; value: ApiValue }
  | { op: "incr"; by?: number }
  | { op: "append"; value: ApiValue }
  | { op: "remove"; value: ApiValue };

const putBody = (api: ApiContext) => object({ value: apiValue(api.limits.valueBytes) });
const updateBody = (api: ApiContext) => {
  const value = apiValue(api.limits.valueBytes);
  return tagged<UpdateBody>("op", {
    cas: object({ expected: value, value }),
    incr: object({ by: finiteNumber("added to the number (default 1)") }, ["by"]),
    append: object({ value }),
    remove: object({ value }),
  });
};

/** The key of the path, checked: not empty, not too long, not one of selfman's own. */
export function checkedKey(key: string, api: ApiContext): string {
  if (key.length === 0 || key.length > api.limits.keyLength)
    throw new ApiError("invalid-argument", `key: expected 1 to ${api.limits.keyLength} characters`);
  if (isSystemKey(key))
    throw new ApiError("forbidden", "key: keys starting with NUL + selfman/ are selfman's own");
  return key;
}

/** A value within the size limit, in its stored form. */
export function storedValue(value: ApiValue, api: ApiContext, where: string) {
  const json = stringifyJson(toWireJson(value));
  if (Buffer.byteLength(json) > api.limits.valueBytes)
    throw new ApiError("too-large", `${where}: a value of at most ${api.limits.valueBytes} bytes as JSON`);
  return toStored(value);
}

const keyOf = (c: Context<ApiEnv>, api: ApiContext) => checkedKey(c.req.param("key") ?? "", api);

async function runOn(api: ApiContext, key: string, op: KvOp): Promise<Extract<KvResult, { ok: true }>> {
  const result = await serving(api).kv(key, op);
  if (!result.ok) throw new ApiError(result.code, result.message);
  return result;
}

const run = (c: Context<ApiEnv>, api: ApiContext, op: KvOp) => runOn(api, keyOf(c, api), op);

/** GET /v1/kv/{key}'s answer for a checked key (also served by the fast path, kv-fast-path.ts). */
export async function getKey(api: ApiContext, key: string): Promise<Json> {
  const r = await runOn(api, key, { kind: "get" });
  return { key, found: r.found, value: toWireJson(fromStored(r.value)), version: r.version };
}

/** PUT /v1/kv/{key}'s answer for a checked key and the body's text. */
export async function putKey(api: ApiContext, key: string, text: string): Promise<Json> {
  const { value } = parseBody(text, api, putBody(api));
  const r = await runOn(api, key, { kind: "put", value: storedValue(value, api, "body.value") });
  return { key, version: r.version };
}

function toKvOp(update: UpdateBody, api: ApiContext): KvOp {
  switch (update.op) {
    case "cas":
      return {
        kind: "cas",
        expected: storedValue(update.expected, api, "body.expected"),
        value: storedValue(update.value, api, "body.value"),
      };
    case "incr":
      return { kind: "incr", by: update.by ?? 1 };
    case "append":
    case "remove":
      return { kind: update.op, value: storedValue(update.value, api, "body.value") };
  }
}

export function kvRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      method: "get",
      path: "/v1/kv/{key}",
      summary: "read a key (a linearizable quorum read)",
      scope: "read",
      responses: { 200: "{key, found, value, version}; value is null when not found" },
      handler: async (c) => reply(c, 200, await getKey(api, keyOf(c, api))),
    },
    {
      method: "put",
      path: "/v1/kv/{key}",
      summary: "write a key",
      scope: "write",
      body: putBody(api),
      responses: { 200: "{key, version}" },
      handler: async (c) =>
        reply(c, 200, await putKey(api, keyOf(c, api), await bodyText(c, api.limits.bodyBytes))),
    },
    {
      method: "delete",
      path: "/v1/kv/{key}",
      summary: "delete a key (a versioned tombstone)",
      scope: "write",
      responses: { 200: "{key, version}" },
      handler: async (c) => {
        const r = await run(c, api, { kind: "delete" });
        return reply(c, 200, { key: keyOf(c, api), version: r.version });
      },
    },
    {
      method: "post",
      path: "/v1/kv/{key}",
      summary: "cas, incr, append or remove on one key",
      scope: "write",
      body: updateBody(api),
      responses: {
        200: "{key, applied, found, value, version}; a cas that did not swap has applied false and the current value",
        400: "incr on a non-number, append/remove on a non-list",
      },
      handler: async (c) => {
        const update = await body(c, api, updateBody(api));
        const r = await run(c, api, toKvOp(update, api));
        return reply(c, 200, {
          key: keyOf(c, api),
          applied: r.applied,
          found: r.found,
          value: toWireJson(fromStored(r.value)),
          version: r.version,
        });
      },
    },
  ];
}
