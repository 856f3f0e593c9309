// A client's transaction (docs/transactions.md §4): reads go through the register's linearizable get and
// land in the transaction log with the version seen; a write of a key not yet read reads it first
// (its version is what the replicas validate against); commit hands the log to the TM. Callback
// style, as protocol code has no async: the promise-based API with retries lives in the runtimes.
import type { ErrorCode } from "../core/error-code.js";
import type { Value } from "../store/item.js";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import type { TxEntry } from "./tx-lock.js";
import type { TxOutcome } from "./tx-outcome.js";

export type TxReadResult =
  | { readonly ok: true; readonly value: Value; readonly found: boolean }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
    };

/** What a transaction needs of its node. */
interface TxHost {
  submit(key: string, op: KvOp, onDone: (result: KvResult) => void): void;
  commitLog(log: readonly TxEntry[], onDone: (outcome: TxOutcome) => void): void;
}

interface LogEntry {
  kind: "read" | "write";
  readonly version: number;
  value: Value;
  tombstone: boolean;
}

export class Transaction {
  private readonly host: TxHost;
  private readonly log = new Map<string, LogEntry>();
  private committing = false;

  constructor(host: TxHost) {
    this.host = host;
  }

  /** The value of `key` as this transaction sees it (its own writes included). */
  read(key: string, onDone: (result: TxReadResult) => void): void {
    this.entry(key, (entry) => {
      if (!("kind" in entry)) onDone(entry);
      else
        onDone({
          ok: true,
          value: entry.tombstone ? null : entry.value,
          found: !entry.tombstone && entry.version + (entry.kind === "write" ? 1 : 0) > 0,
        });
    });
  }

  write(key: string, value: Value, onDone: (result: TxReadResult) => void): void {
    this.setValue(key, value, false, onDone);
  }

  delete(key: string, onDone: (result: TxReadResult) => void): void {
    this.setValue(key, null, true, onDone);
  }

  /** Commits the log (once); a transaction with nothing in it commits at once. */
  commit(onDone: (outcome: TxOutcome) => void): void {
    if (this.committing) throw new Error("a transaction commits once");
    this.committing = true;
    const log: TxEntry[] = [...this.log].map(([key, e]) => ({
      key,
      kind: e.kind,
      version: e.version,
      value: e.kind === "write" ? e.value : null,
      tombstone: e.kind === "write" && e.tombstone,
    }));
    this.host.commitLog(log, onDone);
  }

  /**
   * The log as the commit would send it: what a client carries between calls when the transaction
   * lives in a token rather than on a node (docs/api.md §5).
   */
  entries(): TxEntry[] {
    return [...this.log].map(([key, e]) => ({
      key,
      kind: e.kind,
      version: e.version,
      value: e.value,
      tombstone: e.tombstone,
    }));
  }

  /** Takes up a log `entries()` gave (on a fresh transaction): the reads and writes are as they were. */
  restore(entries: readonly TxEntry[]): void {
    if (this.committing || this.log.size > 0) throw new Error("restore needs a fresh transaction");
    for (const e of entries)
      this.log.set(e.key, { kind: e.kind, version: e.version, value: e.value, tombstone: e.tombstone });
  }

  /** The keys in the log, in the order they were first touched. */
  get keys(): readonly string[] {
    return [...this.log.keys()];
  }

  private setValue(
    key: string,
    value: Value,
    tombstone: boolean,
    onDone: (result: TxReadResult) => void,
  ): void {
    this.entry(key, (entry) => {
      if (!("kind" in entry)) {
        onDone(entry);
        return;
      }
      entry.kind = "write";
      entry.value = value;
      entry.tombstone = tombstone;
      onDone({ ok: true, value: tombstone ? null : value, found: !tombstone });
    });
  }

  private entry(
    key: string,
    onEntry: (entry: LogEntry | Extract<TxReadResult, { ok: false }>) => void,
  ): void {
    if (this.committing) throw new Error("the transaction is committing: no more reads or writes");
    const held = this.log.get(key);
    if (held !== undefined) {
      onEntry(held);
      return;
    }
    this.host.submit(key, { kind: "get" }, (result) => {
      if (!result.ok) {
        onEntry(result);
        return;
      }
      const entry = this.log.get(key) ?? {
        kind: "read" as const,
        version: result.version,
        value: result.value,
        tombstone: !result.found,
      };
      this.log.set(key, entry);
      onEntry(entry);
    });
  }
}
