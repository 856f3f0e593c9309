// What the client reads about the ring (docs/client.md §2): a key's lookup, the ring survey and a node's
// status. The survey and the status are passed through as open objects: the server may add members, and
// the client must not drop them.
import type { Json } from "../wire/lossless-json.js";
import { asObject, booleanMember, idMember, numberMember, stringMember } from "./response-shape.js";

export interface LookupResult {
  readonly key: string;
  /** The key's position on the ring, as decimal digits. */
  readonly id: string;
  readonly responsible: { readonly id: string; readonly addr: string };
  readonly hops: number;
  readonly latencyMs: number;
}

export interface RingSurvey {
  readonly nodes: readonly Json[];
  readonly perfect: boolean;
  readonly [member: string]: Json;
}

export type NodeStatus = { readonly [member: string]: Json };

export function lookupResultOf(json: Json): LookupResult {
  const body = asObject(json, "for a lookup");
  const responsible = asObject(body.responsible, '"responsible"');
  return {
    key: stringMember(body, "key"),
    id: idMember(body, "id"),
    responsible: { id: idMember(responsible, "id"), addr: stringMember(responsible, "addr") },
    hops: numberMember(body, "hops"),
    latencyMs: numberMember(body, "latencyMs"),
  };
}

export function ringSurveyOf(json: Json): RingSurvey {
  const body = asObject(json, "for the ring");
  booleanMember(body, "perfect");
  if (!Array.isArray(body.nodes)) asObject(undefined, '"nodes" list');
  return body as RingSurvey;
}

export function nodeStatusOf(json: Json): NodeStatus {
  return asObject(json, "for the status");
}
