// The errors the client library throws (docs/client.md §6): one class with the server's error code (or
// `unavailable`, `timeout`, `closed`, `bad-response` from the client itself), and two subclasses callers
// branch on. Callers test `code` and `instanceof`, never the message text; keep codes stable.
import type { Json } from "../wire/lossless-json.js";

/** The codes the client may report; the server may add others, which come through as they are. */
export type SelfmanErrorCode =
  | "invalid-argument"
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "request-failed"
  | "too-large"
  | "rate-limited"
  | "unavailable"
  | "timeout"
  | "bad-response"
  | "closed"
  | (string & {});

export interface SelfmanErrorInit {
  readonly code: SelfmanErrorCode;
  readonly message: string;
  /** The HTTP status, or null when no answer came (a connection failure, a timeout, a local check). */
  readonly status: number | null;
  readonly keys?: readonly string[];
  readonly retryAfterMs?: number | null;
  /** The whole error body the server sent, if any. */
  readonly body?: Json;
  /** The URL of the node that answered or failed. */
  readonly url?: string | null;
  readonly cause?: unknown;
}

/** An operation failed; `code` says why. It had no effect unless this is an UncertainError. */
export class SelfmanError extends Error {
  readonly code: SelfmanErrorCode;
  readonly status: number | null;
  /** For `conflict`: the keys another transaction got to first. */
  readonly keys: readonly string[];
  /** For `rate-limited`: how long the server asked to wait. */
  readonly retryAfterMs: number | null;
  readonly body: Json;
  readonly url: string | null;

  constructor(init: SelfmanErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "SelfmanError";
    this.code = init.code;
    this.status = init.status;
    this.keys = init.keys ?? [];
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.body = init.body ?? null;
    this.url = init.url ?? null;
  }
}

/**
 * A non-idempotent operation (incr, cas, append, remove, a transaction's commit) was sent, and then the
 * connection died or the deadline passed before its answer: it may or may not have taken effect. The
 * client does not retry it; read the key to find out.
 */
export class UncertainError extends SelfmanError {
  constructor(init: SelfmanErrorInit) {
    super(init);
    this.name = "UncertainError";
  }
}

/** Request `index` of a request list or transaction failed, so nothing was committed. */
export class RequestFailedError extends SelfmanError {
  readonly index: number;
  readonly results: readonly Json[];

  constructor(init: SelfmanErrorInit & { readonly index: number; readonly results: readonly Json[] }) {
    super(init);
    this.name = "RequestFailedError";
    this.index = init.index;
    this.results = init.results;
  }
}
