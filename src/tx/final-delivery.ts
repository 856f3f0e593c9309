// The decider's delivery of `final` (docs/transactions.md §5, §9): to every replica of every item,
// resent every finalResendMs to those that have not answered `txApplied`, finalAttempts times; a
// replica still locked after that asks the acceptors itself. A commit's client hears once a majority
// of every item's replicas holds it (read-your-writes). Must not break: finals go only after the decision
// and carry it; a commit's client hears no sooner than a majority of every item's replicas holds it, or
// than the delivery ends (every replica answered, or the attempts ran out).
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { replicaIds } from "../store/replicas.js";
import type { ClientAnswers } from "./client-answer.js";
import type { OwnerSender } from "./owner-send.js";
import { majorityOf, type TxConfig } from "./tx-config.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

export class FinalDelivery {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ids: IdSpace;
  private readonly config: TxConfig;
  private readonly table: TxTable;
  private readonly sender: OwnerSender;
  private readonly answers: ClientAnswers;
  private readonly f: number;
  private readonly majority: number;

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    table: TxTable,
    sender: OwnerSender,
    answers: ClientAnswers,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.table = table;
    this.sender = sender;
    this.answers = answers;
    this.f = config.replication;
    this.majority = majorityOf(config.replication);
  }

  /** Starts delivering a decided transaction's `final` (the cached owners first). */
  start(tx: TxState): void {
    tx.delivery.delivering = true;
    this.sendFinals(tx, true);
    this.env.setTimer(this.config.finalResendMs, { type: "txFinalResend", tid: tx.tid, attempt: 1 });
  }

  /** The `txFinalResend` timer: again to the replicas that have not answered, through the overlay. */
  onResend(tid: string, attempt: number): void {
    const tx = this.table.get(tid);
    if (tx === undefined || !tx.delivery.delivering) return;
    if (attempt >= this.config.finalAttempts || tx.delivery.applied.size === tx.keys.length * this.f) {
      tx.delivery.delivering = false; // replicas still locked ask the acceptors themselves
      this.answers.answer(tx);
      return;
    }
    this.sendFinals(tx, false);
    this.env.setTimer(this.config.finalResendMs, { type: "txFinalResend", tid, attempt: attempt + 1 });
  }

  onApplied(msg: Extract<TxMessage, { type: "txApplied" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined || !tx.delivery.delivering) return;
    const instance = msg.item * this.f + msg.replica;
    tx.delivery.applied.add(instance); // answered: not sent again
    if (msg.holds) tx.delivery.holding.add(instance);
    if (tx.delivery.applied.size === tx.keys.length * this.f) tx.delivery.delivering = false;
    if (this.majorityHoldsEveryItem(tx)) this.answers.answer(tx);
  }

  private majorityHoldsEveryItem(tx: TxState): boolean {
    return tx.keys.every((_, item) => {
      let n = 0;
      for (let r = 0; r < this.f; r++) if (tx.delivery.holding.has(item * this.f + r)) n++;
      return n >= this.majority;
    });
  }

  private sendFinals(tx: TxState, useCache: boolean): void {
    tx.keys.forEach((key, item) => {
      const ids = replicaIds(this.ids, this.f, key);
      ids.forEach((replicaId, replica) => {
        if (tx.delivery.applied.has(item * this.f + replica)) return;
        const msg: TxMessage = {
          type: "txFinal",
          tid: tx.tid,
          commit: tx.decision === true,
          item,
          replica,
          key,
          replicaId,
        };
        // Fault hooks (the network may lose or duplicate any message): the resend timer and the
        // replicas' idempotent apply must cope.
        if (!this.env.buggify("tx.final.drop")) this.sender.send(replicaId, msg, useCache);
        if (this.env.buggify("tx.final.duplicate")) this.sender.send(replicaId, msg, useCache);
      });
    });
  }
}
