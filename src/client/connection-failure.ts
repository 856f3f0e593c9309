// What a failed fetch says about the request (docs/client.md §4): it surely never reached the node (refused,
// unresolvable, unreachable: safe to resend anywhere) or it may have (reset, closed mid-answer, timed out).
// When in doubt say "may have": wrongly saying "never" could apply an incr twice.

export type FailureKind = "never-arrived" | "may-have-arrived";

export interface ConnectionFailure {
  readonly kind: FailureKind;
  /** The system or undici code, or "timeout". */
  readonly reason: string;
  readonly timedOut: boolean;
}

/** Codes a connection attempt fails with before a byte of the request is sent. */
const BEFORE_SENDING: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function codeOf(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("code" in error)) return null;
  return typeof error.code === "string" ? error.code : null;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/** The innermost code on an error's cause chain. */
function innermostCode(error: unknown): string | null {
  let current: unknown = error;
  let found: string | null = null;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    found = codeOf(current) ?? found;
    current = current instanceof Error ? current.cause : undefined;
  }
  return found;
}

/**
 * The failure `error` (thrown by fetch or by reading an answer's body) stands for, or null if it is no
 * connection failure (a bug, a bad URL) and should be thrown as it is.
 */
export function connectionFailure(error: unknown): ConnectionFailure | null {
  if (nameOf(error) === "TimeoutError")
    return { kind: "may-have-arrived", reason: "timeout", timedOut: true };
  if (!(error instanceof TypeError) || error.cause === undefined) return null;
  const code = innermostCode(error.cause) ?? nameOf(error.cause) ?? "unknown";
  const kind: FailureKind = BEFORE_SENDING.has(code) ? "never-arrived" : "may-have-arrived";
  return { kind, reason: code || "unknown", timedOut: code === "UND_ERR_CONNECT_TIMEOUT" };
}
