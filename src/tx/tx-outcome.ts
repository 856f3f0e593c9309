// What a commit ends with, as its client hears it (docs/transactions.md §1, §5): committed, aborted with
// the keys that refused and why, or an error code. A `timeout` leaves the outcome unknown: the
// transaction may still commit. An answer never contradicts the transaction's decision.
import type { ErrorCode } from "../core/error-code.js";

export type TxOutcome =
  | { readonly ok: true; readonly committed: true; readonly tid: string }
  | {
      readonly ok: true;
      readonly committed: false;
      readonly tid: string;
      /** The keys whose replicas refused, and why (the first reason heard). */
      readonly conflicts: readonly string[];
      readonly reason: string;
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      /** For a timeout: the outcome is unknown (the transaction may still commit). */
      readonly message: string;
    };
