// Scalaris's value tags (docs/scalaris-api.md §3): {"type":"as_is"|"as_bin","value":...}, stored through
// api-value.ts so the tag persists (binary reads back as_bin, also inside key_changed).
// Must not break: big integers stay exact; a non-object is -32601, an object without a valid tag 500.
import type { Value } from "../../store/item.js";
import {
  type ApiValue,
  fromBase64,
  fromStored,
  toStored,
  toWireJson,
  ValueError,
} from "../../wire/api-value.js";
import type { Json } from "../../wire/lossless-json.js";
import { BadInput, MethodNotFound } from "./rpc-errors.js";

function isObject(json: Json): json is { readonly [key: string]: Json } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/** The client's value a plain JSON value is (no tags: as_is without the wrapper). */
export function plainValue(json: Json): ApiValue {
  return json as ApiValue;
}

/** The client's value a tagged JSON value holds. */
export function untag(json: Json): ApiValue {
  if (!isObject(json)) throw new MethodNotFound('a value must be {"type": ..., "value": ...}');
  const members = Object.keys(json);
  const value = json.value;
  if (members.length !== 2 || value === undefined) throw new BadInput("a tagged value has type and value");
  if (json.type === "as_is") return plainValue(value);
  if (json.type !== "as_bin" || typeof value !== "string") throw new BadInput("type: as_is or as_bin");
  try {
    return fromBase64(value);
  } catch (error) {
    if (error instanceof ValueError) throw new BadInput("as_bin: the value is not base64");
    throw error;
  }
}

/** The stored form of a tagged JSON value. */
export function storedFromTagged(json: Json): Value {
  return toStored(untag(json));
}

/** The stored form of a value that may come tagged or plain (req_list's test_and_set accepts both). */
export function storedFromEither(json: Json): Value {
  const tagged = isObject(json) && Object.keys(json).length === 2 && typeof json.type === "string";
  return toStored(tagged ? untag(json) : plainValue(json));
}

/** A stored value as the client gets it back: binary as_bin, anything else as_is. */
export function tag(stored: Value): Json {
  const value = fromStored(stored);
  if (value instanceof Uint8Array) return { type: "as_bin", value: Buffer.from(value).toString("base64") };
  return { type: "as_is", value: toWireJson(value) };
}
