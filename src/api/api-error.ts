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
  /** The connection must close after this answer (a body was left unread). */
  readonly closes: boolean;

  constructor(
    code: ApiErrorCode,
    message: string,
    extra: Readonly<Record<string, Json>> = {},
    closes = false,
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.extra = extra;
    this.closes = closes;
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

/** Any error thrown while answering, as the API error it answers with (500 for one it did not expect). */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError
    ? error
    : new ApiError("internal", error instanceof Error ? error.message : String(error));
}

/** The headers an error answer carries: Retry-After for 429, Connection: close after an unread body. */
export function errorHeaders(e: ApiError): Record<string, string> {
  return {
    ...(e.code === "rate-limited" ? { "retry-after": String(e.extra.retryAfterSec ?? 1) } : {}),
    ...(e.closes ? { connection: "close" } : {}),
  };
}
