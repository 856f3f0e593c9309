// Checks on what a node answered (docs/client.md §6): each /v1 answer is read through these, so a body of
// the wrong shape ends as a `bad-response` SelfmanError naming the member, never as a TypeError later.
// They only read; keep them total over every Json input.
import type { Json } from "../wire/lossless-json.js";
import { SelfmanError } from "./selfman-error.js";

/** A JSON object's members. */
export type JsonObject = { readonly [key: string]: Json };

function badResponse(what: string): SelfmanError {
  return new SelfmanError({ code: "bad-response", message: `the node's answer ${what}`, status: null });
}

export function isJsonObject(json: Json | undefined): json is JsonObject {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

export function asObject(json: Json | undefined, what: string): JsonObject {
  if (!isJsonObject(json)) throw badResponse(`has no object ${what}`);
  return json;
}

export function booleanMember(object: JsonObject, name: string): boolean {
  const value = object[name];
  if (typeof value !== "boolean") throw badResponse(`has no boolean "${name}"`);
  return value;
}

/** A numeric member (a version, a hop count); a bigint one is converted. */
export function numberMember(object: JsonObject, name: string): number {
  const value = object[name];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw badResponse(`has no number "${name}"`);
}

export function stringMember(object: JsonObject, name: string): string {
  const value = object[name];
  if (typeof value !== "string") throw badResponse(`has no string "${name}"`);
  return value;
}

/** An identifier member, as a string whether it came as digits or as a string. */
export function idMember(object: JsonObject, name: string): string {
  const value = object[name];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw badResponse(`has no id "${name}"`);
}

export function arrayMember(object: JsonObject, name: string): readonly Json[] {
  const value = object[name];
  if (!Array.isArray(value)) throw badResponse(`has no list "${name}"`);
  return value;
}

/** A member that may be absent; absent reads as null. */
export function optionalMember(object: JsonObject, name: string): Json {
  return object[name] ?? null;
}
