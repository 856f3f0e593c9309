// A value as the client library exposes it, and its /v1 JSON form (docs/client.md §7): integers of any
// size (bigint), and binary data (Uint8Array) as the tagged object {"$base64": "..."}. toWire and fromWire
// must stay inverse on every value toWire accepts; an object that would read back as binary is refused.
import type { Json } from "../wire/lossless-json.js";
import { SelfmanError } from "./selfman-error.js";

/** What a key can hold: JSON, integers of any size, binary data, and lists and objects of these. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Value[]
  | { readonly [key: string]: Value };

/** The member that marks a binary value in the /v1 JSON. */
export const BASE64_MEMBER = "$base64";

function isValueArray(value: Value): value is readonly Value[] {
  return Array.isArray(value);
}

function isJsonArray(value: Json): value is readonly Json[] {
  return Array.isArray(value);
}

function invalid(message: string): SelfmanError {
  return new SelfmanError({ code: "invalid-argument", message, status: null });
}

/** The /v1 JSON for a value. Throws `invalid-argument` for a non-finite number or a `$base64` look-alike. */
export function toWire(value: Value): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(`${value} is not a JSON number`);
    return value;
  }
  if (value instanceof Uint8Array) return { [BASE64_MEMBER]: Buffer.from(value).toString("base64") };
  if (isValueArray(value)) return value.map(toWire);
  return objectToWire(value);
}

function objectToWire(value: { readonly [key: string]: Value }): Json {
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === BASE64_MEMBER) {
    throw invalid(
      `an object whose only member is "${BASE64_MEMBER}" is how binary values travel; use a Uint8Array`,
    );
  }
  const out: { [key: string]: Json } = {};
  for (const key of keys) setOwn(out, key, toWire(value[key] as Value));
  return out;
}

/** A value from its /v1 JSON: the tagged object becomes a Uint8Array. */
export function fromWire(json: Json): Value {
  if (json === null || typeof json !== "object") return json;
  if (isJsonArray(json)) return json.map(fromWire);
  const keys = Object.keys(json);
  const tagged = json[BASE64_MEMBER];
  if (keys.length === 1 && typeof tagged === "string") return Uint8Array.from(Buffer.from(tagged, "base64"));
  const out: { [key: string]: Value } = {};
  for (const key of keys) setOwn(out, key, fromWire(json[key] as Json));
  return out;
}

/** Sets an own member (a `__proto__` member too, without touching the prototype). */
function setOwn<T>(target: { [key: string]: T }, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
