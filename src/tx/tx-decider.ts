// Taking a transaction's decision at this node (docs/transactions.md §5, §8): the learner's verdict, or
// "commit" for an empty log, is recorded once, told to the other acceptors (`txDecided`, so they stop
// their takeover timers), answered to the client if it is an abort, and delivered to the replicas. Must
// not break: a transaction is decided once, from a majority of accepted votes, and another acceptor's
// `txDecided` never changes it.
import type { Env } from "../core/env.js";
import { invariant } from "../core/invariant.js";
import type { ClientAnswers } from "./client-answer.js";
import type { FinalDelivery } from "./final-delivery.js";
import { itemVerdict } from "./tx-learner.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

export class TxDecider {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly table: TxTable;
  private readonly delivery: FinalDelivery;
  private readonly answers: ClientAnswers;
  private readonly f: number;

  constructor(
    env: Env<TxMessage, TxTimer>,
    replication: number,
    table: TxTable,
    delivery: FinalDelivery,
    answers: ClientAnswers,
  ) {
    this.env = env;
    this.table = table;
    this.delivery = delivery;
    this.answers = answers;
    this.f = replication;
  }

  /** This node decided `tx`: record it, tell the other acceptors, answer an abort, deliver `final`. */
  decide(tx: TxState, commit: boolean): void {
    invariant(
      tx.decision === null,
      "decision: taken once",
      () => `tx ${tx.tid}: decided ${tx.decision}, then ${commit}`,
    );
    this.checkMajorities(tx, commit);
    tx.decision = commit;
    tx.decidedAtMs = this.env.now();
    const decided: TxMessage = { type: "txDecided", tid: tx.tid, commit };
    tx.acceptors.forEach((a, index) => {
      // Fault hook: the decision lost on its way to an rTM (the network may lose it): that rTM takes
      // over a decided transaction, and its ballot must find the chosen values again.
      if (!tx.mine.includes(index) && !this.env.buggify("tx.decided.drop")) this.env.send(a, decided);
    });
    // An abort changed nothing: the client may hear it now. A commit waits for the replicas.
    if (tx.keys.length === 0 || !commit) this.answers.answer(tx);
    if (tx.keys.length === 0) return;
    this.delivery.start(tx);
  }

  /** Another acceptor decided: the TM answers its client (the decider delivers `final`). */
  onDecided(msg: Extract<TxMessage, { type: "txDecided" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined) return;
    invariant(
      tx.decision === null || tx.decision === msg.commit,
      "decision: one outcome per transaction",
      () => `tx ${tx.tid}: decided ${tx.decision} here, ${msg.commit} by another acceptor`,
    );
    if (tx.decision !== null) return;
    tx.decision = msg.commit;
    tx.decidedAtMs = this.env.now();
    this.answers.answer(tx);
  }

  /**
   * A commit needs every item prepared by a majority of its replicas' instances, an abort some item
   * aborted by f − majority + 1 of them, each instance decided by a majority of acceptors
   * (docs/transactions.md §5, §7).
   */
  private checkMajorities(tx: TxState, commit: boolean): void {
    const verdicts = tx.keys.map((_, item) => itemVerdict(tx.learner.decided, item, this.f));
    invariant(
      commit ? verdicts.every((v) => v === "prepared") : verdicts.includes("abort"),
      "decision: only from a majority of accepted votes",
      () => `tx ${tx.tid}: decided ${commit ? "commit" : "abort"} with items ${verdicts.join(", ")}`,
    );
  }
}
