// One attempt at a client-side transaction (docs/client.md §3): reads go to a node at once, carrying the
// tlog of the reads and writes so far (`commit: false`); writes wait in a buffer and travel with the next
// read or with the commit. The tlog is the transaction's whole state, so a read may go to any node.
import type { Json } from "../wire/lossless-json.js";
import type { Value } from "./client-value.js";
import type { HttpTransport } from "./http-transport.js";
import { SelfmanError } from "./selfman-error.js";
import { areIdempotent, opToWire, type TxOp } from "./tx-op.js";
import { type TxStep, txStepOf } from "./tx-outcome.js";

export class Transaction {
  readonly #transport: HttpTransport;
  #tlog: string | null = null;
  #pending: TxOp[] = [];
  #finished = false;
  /** Whether a write has travelled with a read: then the tlog holds writes, and its commit writes. */
  #tlogWrites = false;

  constructor(transport: HttpTransport) {
    this.#transport = transport;
  }

  /** The key's value, or undefined if it holds none. Buffered writes are sent first, so it sees them. */
  async read(key: string): Promise<Value | undefined> {
    const step = await this.#send([...this.#takePending(), { op: "read", key }], false);
    const result = step.results[step.results.length - 1];
    if (result === undefined || !result.ok) {
      throw new SelfmanError({
        code: "bad-response",
        message: `no result for the read of ${key}`,
        status: null,
      });
    }
    return result.found ? result.value : undefined;
  }

  write(key: string, value: Value): void {
    this.#buffer({ op: "write", key, value });
  }

  delete(key: string): void {
    this.#buffer({ op: "delete", key });
  }

  /** Adds `by` to the number the key holds (an absent key counts as 0). */
  addOnNr(key: string, by: number | bigint): void {
    this.#buffer({ op: "add_on_nr", key, by });
  }

  /** Appends `add` to the list the key holds and removes `del` from it. */
  addDelOnList(key: string, add: readonly Value[], del: readonly Value[]): void {
    this.#buffer({ op: "add_del_on_list", key, add, del });
  }

  /** Writes `next` if the key holds `old`; otherwise the whole transaction fails with request-failed. */
  testAndSet(key: string, old: Value, next: Value): void {
    this.#buffer({ op: "test_and_set", key, old, new: next });
  }

  /** Commits what was read and written. Called by Client.transaction after the function returns. */
  async commit(): Promise<void> {
    const ops = this.#takePending();
    this.#finished = true;
    if (this.#tlog === null && ops.length === 0) return;
    const step = await this.#send(ops, true);
    if (!step.committed) {
      throw new SelfmanError({ code: "conflict", message: "the transaction did not commit", status: 200 });
    }
  }

  #buffer(op: TxOp): void {
    this.#checkOpen();
    this.#pending.push(op);
  }

  #takePending(): TxOp[] {
    this.#checkOpen();
    const ops = this.#pending;
    this.#pending = [];
    return ops;
  }

  #checkOpen(): void {
    if (this.#finished) {
      throw new SelfmanError({ code: "invalid-argument", message: "this transaction is over", status: null });
    }
  }

  async #send(ops: readonly TxOp[], commit: boolean): Promise<TxStep> {
    const body: { [key: string]: Json } = { ops: ops.map(opToWire), commit };
    if (this.#tlog !== null) body.tlog = this.#tlog;
    // Uncommitted steps change nothing on the server. A commit is safe to resend only if it writes nothing,
    // or as a plain request list of writes and deletes (no tlog), which the server runs afresh.
    const readOnlyCommit = this.#tlog !== null && !this.#tlogWrites && areReads(ops);
    const idempotent = !commit || readOnlyCommit || (this.#tlog === null && areIdempotent(ops));
    const request = { method: "POST", path: "/v1/tx", body, idempotent } as const;
    const step = txStepOf(await this.#transport.request(request));
    this.#tlog = step.tlog;
    this.#tlogWrites ||= !areReads(ops);
    return step;
  }
}

function areReads(ops: readonly TxOp[]): boolean {
  return ops.every((op) => op.op === "read");
}
