// The /v1 API's errors (docs/api.md §4): one JSON shape, {"error": code, "message": why, ...}, with the
// HTTP status that says what the caller may do — fix the request (4xx) or retry (409, 429, 503, 504).
import type { ErrorCode } from "../core/error-code.js";
import { type Json, stringifyJson } from "../wire/lossless-json.js";

export type ApiErrorCode =
  | ErrorCode
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "method-not-allowed"
  | "too-large"
  | "rate-limited"
  | "request-failed"
  | "internal";

const STATUS: Readonly<Record<ApiErrorCode, number>> = {
  "invalid-argument": 400,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  "method-not-allowed": 405,
  conflict: 409,
  "request-failed": 409,
  "too-large": 413,
  "rate-limited": 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly extra: Readonly<Record<string, Json>>;

  constructor(code: ApiErrorCode, message: string, extra: Readonly<Record<string, Json>> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.extra = extra;
  }

  get status(): number {
    return STATUS[this.code];
  }

  body(): { [name: string]: Json } {
    return { error: this.code, message: this.message, ...this.extra };
  }

  /** The body as JSON text: the values it carries may hold integers beyond 2^53 (docs/api.md §3). */
  text(): string {
    return stringifyJson(this.body());
  }
}
