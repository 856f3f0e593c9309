// The public surface of the client library, `import { connect } from "selfman"` (docs/client.md §8).
// Everything a caller may name is exported here and nothing else; the package's types come from this file,
// so removing an export is a breaking change.
export type { Json } from "../wire/lossless-json.js";
export { Client, type RequestListOptions, type TransactionOptions } from "./client.js";
export type { ConnectOptions, RetryOptions } from "./client-options.js";
export { BASE64_MEMBER, type Value } from "./client-value.js";
export type { LookupResult, NodeStatus, RingSurvey } from "./cluster-info.js";
export { connect } from "./connect.js";
export type { EventsOptions } from "./event-stream.js";
export type { DeleteResult, GetResult, PutResult, UpdateResult } from "./kv-results.js";
export { RequestFailedError, SelfmanError, type SelfmanErrorCode, UncertainError } from "./selfman-error.js";
export type { EventKind, SelfmanEvent } from "./selfman-event.js";
export { Transaction } from "./transaction.js";
export type { TxFailureReason, TxOp, TxOpResult } from "./tx-op.js";
export type { TxOutcome } from "./tx-outcome.js";
