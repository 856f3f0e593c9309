// The Paxos acceptors this node hosts (docs/transactions.md §5, §8): one per acceptor index it holds in
// a transaction, on the pure rules of paxos-acceptor.ts. A TP's vote is phase 2a of its instance with
// ballot 0; the acceptances go to the TM bundled (one message once every instance has one, else when
// the bundle timer runs). A leader's phase 1 and 2 are answered to the leader. Never accept below a promise.
import type { Env } from "../core/env.js";
import type { NodeRef } from "../core/node-ref.js";
import { sendToAcceptor } from "./owner-send.js";
import {
  type AcceptorState,
  acceptBallot,
  acceptedVotes,
  acceptFast,
  checkAcceptorStep,
  FRESH_ACCEPTOR,
  promise,
} from "./paxos-acceptor.js";
import type { TxConfig } from "./tx-config.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

export class AcceptorHost {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly config: TxConfig;
  private readonly table: TxTable;
  private readonly self: () => NodeRef;
  private readonly f: number;

  constructor(env: Env<TxMessage, TxTimer>, config: TxConfig, table: TxTable, self: () => NodeRef) {
    this.env = env;
    this.config = config;
    this.table = table;
    this.self = self;
    this.f = config.replication;
  }

  /** A TP's vote: phase 2a with ballot 0, at each acceptor index of mine. */
  onVote(msg: Extract<TxMessage, { type: "txVote" }>): void {
    const tx = this.table.asAcceptor(msg.tid, msg.acceptors, msg.keys, this.self(), this.env.now());
    if (tx === null) return;
    if (msg.vote === "abort" && msg.reason !== "") this.noteConflict(tx, msg.instance, msg.reason);
    for (const index of tx.mine) {
      const state = tx.acceptor.states.get(index) ?? FRESH_ACCEPTOR;
      const next = acceptFast(state, msg.instance, msg.vote);
      if (next === null) continue;
      this.store(tx, index, state, next, [msg.instance]);
      const pending = tx.acceptor.bundles.get(index) ?? [];
      pending.push({ instance: msg.instance, ballot: 0, vote: msg.vote });
      tx.acceptor.bundles.set(index, pending);
      // Every instance accepted: tell the TM now; else wait a little for the rest (one message, not n·f).
      if (next.accepted.size >= tx.keys.length * this.f) this.flush(tx, index);
      else if (!tx.acceptor.bundleTimer) {
        tx.acceptor.bundleTimer = true;
        this.env.setTimer(this.config.bundleWaitMs, { type: "txFlush", tid: tx.tid });
      }
    }
  }

  /** The `txFlush` timer: every bundle of `tid` goes now. */
  onFlush(tid: string): void {
    const tx = this.table.get(tid);
    if (tx === undefined) return;
    tx.acceptor.bundleTimer = false;
    for (const index of [...tx.acceptor.bundles.keys()]) this.flush(tx, index);
  }

  /**
   * Phase 1: promise the leader's ballot if it is above every promise made, and say what was accepted. An
   * acceptor that knows the decision tells it instead: a leader that missed it (its `txDecided` lost) may
   * otherwise lead on while the acceptors that know it crash, and be left unable to answer a locked
   * replica's ask (docs/transactions.md §8, K7).
   */
  onBallot(from: NodeRef, msg: Extract<TxMessage, { type: "txBallot" }>): void {
    const tx = this.table.asAcceptor(msg.tid, msg.acceptors, msg.keys, this.self(), this.env.now());
    if (tx === null) return;
    if (tx.decision !== null) {
      this.env.send(from, { type: "txDecided", tid: tx.tid, commit: tx.decision });
      return;
    }
    for (const index of tx.mine) {
      const state = tx.acceptor.states.get(index) ?? FRESH_ACCEPTOR;
      const next = promise(state, msg.ballot);
      if (next !== null) this.store(tx, index, state, next, []);
      const reply: TxMessage = {
        type: "txPromise",
        tid: msg.tid,
        index,
        ballot: msg.ballot,
        ok: next !== null,
        promised: (next ?? state).promised,
        accepted: acceptedVotes(next ?? state),
      };
      this.env.send(from, reply);
      // Fault hook: a promise delivered twice (the network may duplicate): counted once per acceptor.
      if (this.env.buggify("tx.promise.duplicate")) this.env.send(from, reply);
    }
  }

  /** Phase 2 of a leader: accept unless a higher ballot was promised; `txAccepted` goes to the leader. */
  onAccept(from: NodeRef, msg: Extract<TxMessage, { type: "txAccept" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined) return;
    for (const index of tx.mine) {
      const state = tx.acceptor.states.get(index) ?? FRESH_ACCEPTOR;
      const next = acceptBallot(state, msg.ballot, msg.votes);
      if (next === null) continue;
      this.store(
        tx,
        index,
        state,
        next,
        msg.votes.map((v) => v.instance),
      );
      const reply: TxMessage = { type: "txAccepted", tid: msg.tid, index, ballot: msg.ballot, votes: [] };
      this.env.send(from, reply);
    }
  }

  /** Keeps acceptor `index`'s next state, once it is checked against the rules of every step. */
  private store(
    tx: TxState,
    index: number,
    before: AcceptorState,
    after: AcceptorState,
    changed: readonly number[],
  ): void {
    checkAcceptorStep(before, after, changed, `tx ${tx.tid} acceptor ${index}`);
    tx.acceptor.states.set(index, after);
  }

  /** Why an item's replica refused: for the client's abort answer (the first reason heard). */
  private noteConflict(tx: TxState, instance: number, reason: string): void {
    const key = tx.keys[Math.floor(instance / this.f)];
    if (key !== undefined) tx.client.conflicts.add(key);
    if (tx.client.reason === "") tx.client.reason = reason;
  }

  /** The ballot-0 votes accepted since the last bundle go to the TM in one `txAccepted`. */
  private flush(tx: TxState, index: number): void {
    const votes = tx.acceptor.bundles.get(index);
    if (votes === undefined || votes.length === 0) return;
    tx.acceptor.bundles.delete(index);
    const accepted: TxMessage = { type: "txAccepted", tid: tx.tid, index, ballot: 0, votes };
    sendToAcceptor(this.env, tx, 0, accepted);
    // Fault hook: the bundle delivered twice (the network may duplicate): the learner counts acceptors, not
    // messages.
    if (this.env.buggify("tx.accepted.duplicate")) sendToAcceptor(this.env, tx, 0, accepted);
  }
}
