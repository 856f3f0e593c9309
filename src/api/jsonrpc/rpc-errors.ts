// How a call fails before the store (docs/scalaris-api.md §2): unknownreq (a result), -32601 (untagged
// value, object params), bad input (HTTP 500), a refused token (403), a store that cannot answer (timeout).
// Must not break: these are the only errors thrown on purpose; anything else is a bug and answers 500.

/** Bad input Scalaris answers with HTTP 500 and an empty body. */
export class BadInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadInput";
  }
}

/** JSON-RPC error -32601 "method not found" (what Scalaris says to untagged values and object params). */
export class MethodNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MethodNotFound";
  }
}

/** The call names no method of this path, or a known one with another number of params. */
export class UnknownRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnknownRequest";
  }
}

/** The token does not allow the call: HTTP 403 for the whole body. */
export class Forbidden extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Forbidden";
  }
}

/** The store (or the cluster secret kept in it) could not answer: Scalaris's {"status":"fail","reason":"timeout"}. */
export class StoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailable";
  }
}
