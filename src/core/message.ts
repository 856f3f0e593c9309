// Message conventions (docs/architecture.md §6): every message is a plain, JSON-like object with a `type`
// discriminant, declared once per protocol as a TypeScript union. Payload fields are plain data only
// (numbers, strings, bigints, booleans, null, arrays, plain objects, Uint8Array) so that the live
// codec and the simulator's trace hash treat every message the same way. No classes, no functions.

/** What every message has. Each protocol declares its own union of `Msg<"name", {...fields}>`. */
export interface MessageBase {
  readonly type: string;
}

/** Declares one message kind: `type Ping = Msg<"ping", { seq: number }>`. */
export type Msg<T extends string, Fields extends object = Record<never, never>> = { readonly type: T } & {
  readonly [K in keyof Fields]: Fields[K];
};

/** The message kinds of a union, by name: `MessageOf<OverlayMessage, "join">`. */
export type MessageOf<M extends MessageBase, T extends M["type"]> = Extract<M, { type: T }>;

/** A timer's tag: what the component wants to be reminded of. Plain data, like a message. */
export interface TimerTagBase {
  readonly type: string;
}

/** What protocol code emits for metrics, traces and the dashboard: plain data with a `type`. */
export interface TraceEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}
