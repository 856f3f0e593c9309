// The transactions one node takes part in as TM, rTM or acceptor (docs/transactions.md §3), by tid: made
// by the TM's commit or on an acceptor's first contact, and forgotten keepDecidedMs after they end (a
// replica that asks later about a forgotten one finds it again through another acceptor, or leads).
// Must not break: forgotten only after keepDecidedMs idle (from the decision, else from the start), and
// its acceptor promises go with it, so that bound stays far above a transaction's deadline.
import type { NodeRef } from "../core/node-ref.js";
import { indexesOf, newTxState, type TxState } from "./tx-state.js";

export class TxTable {
  private readonly txs = new Map<string, TxState>();
  private readonly replication: number;

  constructor(replication: number) {
    this.replication = replication;
  }

  get(tid: string): TxState | undefined {
    return this.txs.get(tid);
  }

  add(tx: TxState): void {
    this.txs.set(tx.tid, tx);
  }

  /** The state of `tid` as an acceptor named in `acceptors` (made on first contact; null: not one). */
  asAcceptor(
    tid: string,
    acceptors: readonly NodeRef[],
    keys: readonly string[],
    self: NodeRef,
    nowMs: number,
  ): TxState | null {
    const known = this.txs.get(tid);
    if (known !== undefined) return known;
    const mine = indexesOf(acceptors, self);
    if (mine.length === 0 || acceptors.length !== this.replication) return null;
    const tx = newTxState(tid, [], acceptors, mine, nowMs, null);
    tx.keys = keys;
    tx.log = null;
    this.txs.set(tid, tx);
    return tx;
  }

  /** Commits whose client has no answer yet. */
  get inFlight(): number {
    let n = 0;
    for (const tx of this.txs.values()) if (tx.client.onDone !== null) n++;
    return n;
  }

  /**
   * Forgets transactions idle longer than `keepMs`: finished ones since their decision, others since they
   * began.
   */
  forgetIdle(nowMs: number, keepMs: number): void {
    for (const [tid, tx] of this.txs) {
      const finished = tx.decision !== null && !tx.delivery.delivering && tx.client.onDone === null;
      const idle = nowMs - (finished ? tx.decidedAtMs : tx.startedMs);
      if (idle > keepMs) this.txs.delete(tid);
    }
  }
}
