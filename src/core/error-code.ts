// The error codes an operation can end with, one closed set for the store, transactions, the runtime and
// the CLI (docs/architecture.md, "Errors"). A code says what the caller may do next: retry (conflict,
// timeout, unavailable) or fix the request (invalid-argument).

const ERROR_CODES = ["conflict", "unavailable", "timeout", "invalid-argument"] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
