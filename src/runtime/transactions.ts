// Transactions for live callers (docs/transactions.md §1): `transaction(async (tx) => ...)` runs the
// function on a fresh transaction and commits what it read and wrote; a conflict (the commit aborted)
// runs it again after a randomised, bounded back-off (docs/transactions.md §6: no participant waits for
// a lock, so livelock is broken by the clients). The request-list form runs through the same loop.
// Errors are typed (docs/architecture.md §9).
import type { ErrorCode } from "../core/error-code.js";
import type { Value } from "../store/item.js";
import { type RequestListOutcome, runRequestList, type TxRequest } from "../tx/request-list.js";
import type { Transaction, TxReadResult } from "../tx/transaction.js";
import type { TxOutcome } from "../tx/tx-coordinator.js";
import type { TxEntry } from "../tx/tx-lock.js";

export interface RetryOptions {
  /** How many times a conflicting transaction is tried in all. */
  readonly attempts: number;
  /** Back-off before try n+1: uniform in [0, min(maxBackoffMs, backoffMs · 2^n)). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 10, backoffMs: 2, maxBackoffMs: 200 };

/**
 * How a runtime opens transactions on its node and enters protocol code: the live node runs each entry
 * as one turn (live-env.ts), so a broken invariant there stops the node. `enter` returns false if the
 * call did not run to its end (the node has stopped): the operation then fails as unavailable.
 */
export interface TxGate {
  begin(): Transaction;
  enter(call: () => void): boolean;
}

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

const stopped = () => new TxError("unavailable", "the node has stopped");

/** A fresh transaction, opened through the gate. */
function open(gate: TxGate): Transaction {
  const opened: Transaction[] = [];
  const tx = gate.enter(() => opened.push(gate.begin())) ? opened[0] : undefined;
  if (tx === undefined) throw stopped();
  return tx;
}

function asAsync(gate: TxGate, tx: Transaction): AsyncTx {
  const settle =
    (resolve: (r: { value: Value; found: boolean }) => void, reject: (e: TxError) => void) =>
    (r: TxReadResult) => {
      if (r.ok) resolve({ value: r.value, found: r.found });
      else reject(new TxError(r.code, r.message));
    };
  /** Enters with `call`; a stopped node rejects. */
  const entered = <V>(call: (resolve: (v: V) => void, reject: (e: TxError) => void) => void) =>
    new Promise<V>((resolve, reject) => {
      if (!gate.enter(() => call(resolve, reject))) reject(stopped());
    });
  return {
    read: (key) => entered((resolve, reject) => tx.read(key, settle(resolve, reject))),
    write: (key, value) =>
      entered<void>((resolve, reject) =>
        tx.write(
          key,
          value,
          settle(() => resolve(), reject),
        ),
      ),
    delete: (key) =>
      entered<void>((resolve, reject) =>
        tx.delete(
          key,
          settle(() => resolve(), reject),
        ),
      ),
  };
}

function commitOf(gate: TxGate, tx: Transaction): Promise<TxOutcome> {
  return new Promise((resolve, reject) => {
    if (!gate.enter(() => tx.commit(resolve))) reject(stopped());
  });
}

/**
 * Runs `fn` in a transaction opened through `gate` and commits it; on conflict, again (up to
 * `options.attempts` in all). Resolves with fn's value once a run committed.
 */
export async function runTransaction<T>(
  gate: TxGate,
  fn: (tx: AsyncTx) => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<{ value: T; tid: string; attempts: number }> {
  let last: Extract<TxOutcome, { committed: false }> | null = null;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(options, attempt));
    const tx = open(gate);
    const value = await fn(asAsync(gate, tx));
    const outcome = await commitOf(gate, tx);
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
  gate: TxGate,
  requests: readonly TxRequest[],
  options: RetryOptions = DEFAULT_RETRY,
): Promise<RequestListAnswer> {
  let conflicts: readonly string[] = [];
  let reason = "";
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(options, attempt));
    const ran = await new Promise<RequestListOutcome>((resolve, reject) => {
      if (!gate.enter(() => runRequestList(gate.begin(), requests, resolve))) reject(stopped());
    });
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

/**
 * One step of a transaction a client carries (docs/api.md §5): a fresh transaction takes up `entries`
 * (the log of the steps before), runs `requests` (a commit last commits it), and gives the log back.
 * No retry: a conflict is the client's to handle, since only it can redo the steps before.
 */
export async function runTlogStep(
  gate: TxGate,
  entries: readonly TxEntry[],
  requests: readonly TxRequest[],
): Promise<{ outcome: RequestListOutcome; entries: TxEntry[] }> {
  return new Promise((resolve, reject) => {
    const ran = gate.enter(() => {
      const tx = gate.begin();
      tx.restore(entries);
      runRequestList(tx, requests, (outcome) => resolve({ outcome, entries: tx.entries() }));
    });
    if (!ran) reject(stopped());
  });
}
