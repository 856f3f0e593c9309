// What the single-key operations return (docs/client.md §2), read from the /v1/kv answers. A get says
// whether the key was found; an update (cas, incr, append, remove) says whether it applied and the value
// after it (for a cas that did not apply: the value found). Versions are the store's, per key.

import type { Json } from "../wire/lossless-json.js";
import { fromWire, type Value } from "./client-value.js";
import { asObject, booleanMember, numberMember, optionalMember } from "./response-shape.js";

export type GetResult =
  | { readonly found: true; readonly value: Value; readonly version: number }
  | { readonly found: false; readonly value: null; readonly version: number };

export interface PutResult {
  readonly version: number;
}

export interface DeleteResult {
  /**
   * Whether the key held a value (after a fail-over resend: maybe false though this delete removed it);
   * null when the node does not say — the /v1 DELETE answer is `{key, version}` (docs/api.md §2).
   */
  readonly found: boolean | null;
  readonly version: number;
}

export interface UpdateResult {
  readonly applied: boolean;
  /** Whether the key held a value before. */
  readonly found: boolean;
  /** The value after the operation; for a cas that did not apply, the value the key holds. */
  readonly value: Value;
  readonly version: number;
}

export function getResultOf(json: Json): GetResult {
  const body = asObject(json, "for a get");
  const version = numberMember(body, "version");
  if (!booleanMember(body, "found")) return { found: false, value: null, version };
  return { found: true, value: fromWire(optionalMember(body, "value")), version };
}

export function putResultOf(json: Json): PutResult {
  return { version: numberMember(asObject(json, "for a put"), "version") };
}

export function deleteResultOf(json: Json): DeleteResult {
  const body = asObject(json, "for a delete");
  const found = body.found === undefined ? null : booleanMember(body, "found");
  return { found, version: numberMember(body, "version") };
}

export function updateResultOf(json: Json): UpdateResult {
  const body = asObject(json, "for an update");
  return {
    applied: booleanMember(body, "applied"),
    found: booleanMember(body, "found"),
    value: fromWire(optionalMember(body, "value")),
    version: numberMember(body, "version"),
  };
}
