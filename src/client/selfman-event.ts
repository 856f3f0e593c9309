// An event of a node's /v1/events stream as the client yields it (docs/client.md §5): its kind, its id
// (what a reconnect sends back as Last-Event-ID) and its data, parsed losslessly when it is JSON.
import type { Json } from "../wire/lossless-json.js";

/** The kinds the server sends today; others come through as they are. */
export type EventKind =
  | "node-up"
  | "node-down"
  | "join"
  | "leave"
  | "crash"
  | "suspect"
  | "unsuspect"
  | "merge"
  | "handover"
  | "repair"
  | "tx"
  | "control"
  | (string & {});

export interface SelfmanEvent {
  readonly kind: EventKind;
  readonly id: string | null;
  /** The event's data as JSON, or its raw text when it is not JSON. */
  readonly data: Json;
}
