// Reading a call's positional params (docs/scalaris-api.md §2): keys are strings taken exactly as sent,
// at most MAX_KEY_LENGTH long; anything else is bad input (HTTP 500).
// Must not break: a reserved system key is refused here, before any store operation starts.
import { MAX_KEY_LENGTH } from "../../store/message-schema.js";
import type { Json } from "../../wire/lossless-json.js";
import { isSystemKey } from "../system-keys.js";
import { BadInput } from "./rpc-errors.js";

/** A key a client may use. */
export function keyArg(json: Json | undefined): string {
  if (typeof json !== "string") throw new BadInput("a key is a string");
  if (json.length > MAX_KEY_LENGTH) throw new BadInput(`a key has at most ${MAX_KEY_LENGTH} characters`);
  if (isSystemKey(json)) throw new BadInput("a reserved key");
  return json;
}

/** A JSON array param. */
export function listArg(json: Json | undefined, what: string): readonly Json[] {
  if (!Array.isArray(json)) throw new BadInput(`${what}: expected a list`);
  return json as readonly Json[];
}

/** A non-negative integer param (a count, a size, a timeout in ms). */
export function countArg(json: Json | undefined, what: string): number {
  if (typeof json !== "number" || !Number.isSafeInteger(json) || json < 0)
    throw new BadInput(`${what}: expected a non-negative integer`);
  return json;
}

/** The one member of a single-member object (a req_list op), or bad input. */
export function onlyMember(json: Json): [string, Json] {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new BadInput("an op is an object");
  const members = Object.entries(json as { readonly [key: string]: Json });
  const [only] = members;
  if (members.length !== 1 || only === undefined) throw new BadInput("an op has exactly one member");
  return only;
}
