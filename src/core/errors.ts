// Typed errors (STYLE.md, after lodestar): a string code from a closed set plus a discriminated union
// of details. Protocol code returns them in Results; the live runtime and the CLI print them.

export const ErrorCode = {
  invalidArgument: "invalid-argument",
  timeout: "timeout",
  unavailable: "unavailable",
  notResponsible: "not-responsible",
  conflict: "conflict",
  badFrame: "bad-frame",
  invariantViolated: "invariant-violated",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ErrorDetails =
  | { readonly code: "invalid-argument"; readonly argument: string; readonly expected: string }
  | { readonly code: "timeout"; readonly afterMs: number }
  | { readonly code: "unavailable"; readonly reason: string }
  | { readonly code: "not-responsible"; readonly key: string }
  | { readonly code: "conflict"; readonly keys: readonly string[] }
  | { readonly code: "bad-frame"; readonly reason: string }
  | { readonly code: "invariant-violated"; readonly invariant: string };

/** An error with a typed code and details; `message` is for humans. */
export class SelfmanError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(details: ErrorDetails, message: string) {
    super(message);
    this.name = "SelfmanError";
    this.code = details.code;
    this.details = details;
  }
}

export type Result<T, E = SelfmanError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail<E>(error: E): Result<never, E> {
  return { ok: false, error };
}

export function invalidArgument(argument: string, expected: string, got?: unknown): SelfmanError {
  const shown = got === undefined ? "" : `, got ${JSON.stringify(got)}`;
  return new SelfmanError(
    { code: "invalid-argument", argument, expected },
    `${argument}: expected ${expected}${shown}`,
  );
}
