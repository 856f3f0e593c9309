// Transactions for live callers (issue 6): `transaction(async (tx) => ...)` runs the function on a
// fresh transaction and commits what it read and wrote; a conflict (the commit aborted) runs it
// again after a randomised, bounded back-off (algorithms.md §7.5: no waiting for locks, so livelock is
// broken by the clients). The request-list form runs through the same loop. Errors are typed.
import type { ErrorCode } from "../core/error-code.js";
import type { Value } from "../store/item.js";
import { type RequestListOutcome, runRequestList, type TxRequest } from "../tx/request-list.js";
import type { Transaction, TxReadResult } from "../tx/transaction.js";
import type { TxOutcome } from "../tx/tx-coordinator.js";

export interface RetryOptions {
  /** How many times a conflicting transaction is tried in all. */
  readonly attempts: number;
  /** Back-off before try n+1: uniform in [0, min(maxBackoffMs, backoffMs · 2^n)). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 10, backoffMs: 2, maxBackoffMs: 200 };

/** A transaction as a function sees it: reads and writes return promises. */
export interface AsyncTx {
  read(key: string): Promise<{ value: Value; found: boolean }>;
  write(key: string, value: Value): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Why a transaction did not commit: `conflict` after every retry, or the store could not answer. */
export class TxError extends Error {
  readonly code: ErrorCode;
  /** For a conflict: the keys whose replicas refused. */
  readonly keys: readonly string[];

  constructor(code: ErrorCode, message: string, keys: readonly string[] = []) {
    super(message);
    this.name = "TxError";
    this.code = code;
    this.keys = keys;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const backoff = (options: RetryOptions, attempt: number) =>
  Math.random() * Math.min(options.maxBackoffMs, options.backoffMs * 2 ** attempt);

function asAsync(tx: Transaction): AsyncTx {
  const settle =
    (resolve: (r: { value: Value; found: boolean }) => void, reject: (e: TxError) => void) =>
    (r: TxReadResult) => {
      if (r.ok) resolve({ value: r.value, found: r.found });
      else reject(new TxError(r.code, r.message));
    };
  return {
    read: (key) => new Promise((resolve, reject) => tx.read(key, settle(resolve, reject))),
    write: (key, value) =>
      new Promise((resolve, reject) =>
        tx.write(
          key,
          value,
          settle(() => resolve(), reject),
        ),
      ),
    delete: (key) =>
      new Promise((resolve, reject) =>
        tx.delete(
          key,
          settle(() => resolve(), reject),
        ),
      ),
  };
}

function commitOf(tx: Transaction): Promise<TxOutcome> {
  return new Promise((resolve) => tx.commit(resolve));
}

/**
 * Runs `fn` in a transaction begun by `begin` and commits it; on conflict, again (up to
 * `options.attempts` in all). Resolves with fn's value once a run committed.
 */
export async function runTransaction<T>(
  begin: () => Transaction,
  fn: (tx: AsyncTx) => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<{ value: T; tid: string; attempts: number }> {
  let last: Extract<TxOutcome, { committed: false }> | null = null;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(options, attempt));
    const tx = begin();
    const value = await fn(asAsync(tx));
    const outcome = await commitOf(tx);
    if (!outcome.ok) throw new TxError(outcome.code, outcome.message);
    if (outcome.committed) return { value, tid: outcome.tid, attempts: attempt + 1 };
    last = outcome;
  }
  throw new TxError(
    "conflict",
    `aborted ${options.attempts} times: ${last?.reason ?? "conflict"} (${(last?.conflicts ?? []).join(", ")})`,
    last?.conflicts ?? [],
  );
}

export type RequestListAnswer =
  | (Extract<RequestListOutcome, { kind: "ran" | "failed" }> & { readonly attempts: number })
  | {
      readonly kind: "error";
      readonly code: ErrorCode;
      readonly message: string;
      readonly keys: readonly string[];
    };

/** Runs a request list (request-list.ts), retried on conflict like runTransaction. */
export async function runRequestListWithRetry(
  begin: () => Transaction,
  requests: readonly TxRequest[],
  options: RetryOptions = DEFAULT_RETRY,
): Promise<RequestListAnswer> {
  let conflicts: readonly string[] = [];
  let reason = "";
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(options, attempt));
    const ran = await new Promise<RequestListOutcome>((resolve) =>
      runRequestList(begin(), requests, resolve),
    );
    if (ran.kind === "error") return { kind: "error", code: ran.code, message: ran.message, keys: [] };
    if (ran.kind === "failed" || ran.outcome === null) return { ...ran, attempts: attempt + 1 };
    if (!ran.outcome.ok)
      return { kind: "error", code: ran.outcome.code, message: ran.outcome.message, keys: [] };
    if (ran.outcome.committed) return { ...ran, attempts: attempt + 1 };
    conflicts = ran.outcome.conflicts;
    reason = ran.outcome.reason;
  }
  return {
    kind: "error",
    code: "conflict",
    message: `aborted ${options.attempts} times: ${reason} (${conflicts.join(", ")})`,
    keys: conflicts,
  };
}
