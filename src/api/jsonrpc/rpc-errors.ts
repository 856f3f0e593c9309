// The ways a JSON-RPC call fails before it reaches the store (docs/scalaris-api.md §2), as Scalaris answers
// them: an unknown method or wrong arity is a *result* {"failure":"unknownreq"}; params given as an object
// or a value that should carry a type tag but does not is JSON-RPC error -32601; any other bad input (a
// non-string key, a tag without its type, a bad tlog) is HTTP 500 for the whole body. Must not break:
// these are the only error classes the handlers throw on purpose; anything else is a bug (also a 500).

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
