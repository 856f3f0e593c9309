// A client's value as the APIs carry it, and how it is stored (docs/api.md §3). Clients send JSON with
// integers of any size and binary data; the store keeps plain JSON (store/item.ts Value). A bigint is
// stored as {"\u0000int": digits}, binary as {"\u0000bin": base64}, and an object member whose name
// starts with NUL gets one more NUL in front — so every stored value decodes to exactly what was written.
import type { Value } from "../store/item.js";
import type { Json } from "./lossless-json.js";

/** What a client stores: JSON, integers of any size, binary data. */
export type ApiValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly ApiValue[]
  | { readonly [key: string]: ApiValue };

const INT_TAG = "\u0000int";
const BIN_TAG = "\u0000bin";
const ESCAPE = "\u0000";
/** The member naming a binary value in the /v1 JSON: {"$base64": "..."}. */
export const BASE64_MEMBER = "$base64";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}

function isPlainObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function setMember<V>(target: { [key: string]: V }, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The stored form of a client's value. */
export function toStored(value: ApiValue): Value {
  if (typeof value === "bigint") return { [INT_TAG]: value.toString() };
  if (value instanceof Uint8Array) return { [BIN_TAG]: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map((v: ApiValue) => toStored(v));
  if (isPlainObject(value)) {
    const out: { [key: string]: Value } = {};
    for (const [k, v] of Object.entries(value))
      setMember(out, k.startsWith(ESCAPE) ? ESCAPE + k : k, toStored(v));
    return out;
  }
  return value as null | boolean | number | string;
}

/** The client's value a stored one holds. */
export function fromStored(value: Value): ApiValue {
  if (Array.isArray(value)) return value.map((v: Value) => fromStored(v));
  if (!isPlainObject(value)) return value as null | boolean | number | string;
  const members = Object.entries(value as { readonly [key: string]: Value });
  const [only] = members;
  if (members.length === 1 && only !== undefined && typeof only[1] === "string") {
    if (only[0] === INT_TAG) return BigInt(only[1]);
    if (only[0] === BIN_TAG) return new Uint8Array(Buffer.from(only[1], "base64"));
  }
  const out: { [key: string]: ApiValue } = {};
  for (const [k, v] of members) setMember(out, k.startsWith(ESCAPE) ? k.slice(1) : k, fromStored(v));
  return out;
}

/** Bytes from base64 text, refusing anything that is not canonical base64. */
export function fromBase64(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new ValueError("not base64");
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** A /v1 JSON value → the client's value: {"$base64": "..."} is binary, anywhere. */
export function fromWireJson(json: Json): ApiValue {
  if (Array.isArray(json)) return json.map((v: Json) => fromWireJson(v));
  if (!isPlainObject(json)) return json as null | boolean | number | bigint | string;
  const members = Object.entries(json as { readonly [key: string]: Json });
  const [only] = members;
  if (members.length === 1 && only !== undefined && only[0] === BASE64_MEMBER) {
    if (typeof only[1] !== "string") throw new ValueError(`${BASE64_MEMBER}: expected a base64 string`);
    return fromBase64(only[1]);
  }
  const out: { [key: string]: ApiValue } = {};
  for (const [k, v] of members) setMember(out, k, fromWireJson(v));
  return out;
}

/** The client's value → /v1 JSON (binary as {"$base64": "..."}). */
export function toWireJson(value: ApiValue): Json {
  if (value instanceof Uint8Array) return { [BASE64_MEMBER]: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map((v: ApiValue) => toWireJson(v));
  if (isPlainObject(value)) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) setMember(out, k, toWireJson(v));
    return out;
  }
  return value as null | boolean | number | bigint | string;
}
