// Paxos Commit's TM, rTMs, acceptors and learner on one node (docs/transactions.md §2, §5, §8), wired
// together: a thin facade the node holds, with one role per file behind it. It routes each message and
// timer to its role and keeps the node's public API (start, commit, warmUp, inFlight, onMessage, onTimer).
// Keep the roles' order of sends, timers and random draws: the simulator's trace hashes depend on it.
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { OwnerCache } from "../store/owner-cache.js";
import type { RingAccess } from "../store/ring-access.js";
import { AcceptorHost } from "./acceptor-host.js";
import { ClientAnswers } from "./client-answer.js";
import { FinalDelivery } from "./final-delivery.js";
import { OwnerSender } from "./owner-send.js";
import { RtmDiscovery, TxSequence } from "./rtm-discovery.js";
import { RtmTakeover } from "./rtm-takeover.js";
import { type RoundSource, TransactionManager } from "./transaction-manager.js";
import type { TxConfig } from "./tx-config.js";
import { TxDecider } from "./tx-decider.js";
import { TxLearner } from "./tx-learner.js";
import type { TxEntry } from "./tx-lock.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxOutcome } from "./tx-outcome.js";
import { TxTable } from "./tx-table.js";

export type { RoundSource } from "./transaction-manager.js";
export { DEFAULT_TX, type TxConfig } from "./tx-config.js";
export type { TxOutcome } from "./tx-outcome.js";

export class TxCoordinator {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly config: TxConfig;
  private readonly table: TxTable;
  private readonly discovery: RtmDiscovery;
  private readonly tm: TransactionManager;
  private readonly acceptors: AcceptorHost;
  private readonly learner: TxLearner;
  private readonly leader: RtmTakeover;
  private readonly decider: TxDecider;
  private readonly delivery: FinalDelivery;
  private readonly answers: ClientAnswers;

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    ring: RingAccess,
    owners: OwnerCache,
    rounds: RoundSource,
  ) {
    this.env = env;
    this.config = config;
    const self = () => ring.self;
    const table = new TxTable(config.replication);
    const sequence = new TxSequence();
    const sender = new OwnerSender(env, ring, owners);
    this.table = table;
    this.discovery = new RtmDiscovery(env, ids, config, ring, sequence);
    this.answers = new ClientAnswers(config, table);
    this.delivery = new FinalDelivery(env, ids, config, table, sender, this.answers);
    this.decider = new TxDecider(env, config.replication, table, this.delivery, this.answers);
    this.learner = new TxLearner(config, table, this.decider);
    this.leader = new RtmTakeover(env, config, table, self);
    this.acceptors = new AcceptorHost(env, config, table, self);
    this.tm = new TransactionManager(env, ids, config, ring, rounds, {
      table,
      sequence,
      discovery: this.discovery,
      sender,
      leader: this.leader,
      decider: this.decider,
    });
  }

  start(): void {
    this.env.setTimer(this.config.keepDecidedMs / 4, { type: "txGc" });
  }

  /** Commits whose client has no answer yet. */
  get inFlight(): number {
    return this.table.inFlight;
  }

  /** How `tid` ended, as this node knows it (null: undecided, or unknown here); for checkers. */
  outcomeOf(tid: string): boolean | null {
    return this.table.get(tid)?.decision ?? null;
  }

  /** Commits `log` (docs/transactions.md §5); `onDone` runs once, in a later handler. */
  commit(log: readonly TxEntry[], onDone: (outcome: TxOutcome) => void): void {
    this.tm.commit(log, onDone);
  }

  /** Looks the rTMs up early, alongside a transaction's reads (docs/transactions.md §2). */
  warmUp(): void {
    this.discovery.warmUp();
  }

  onMessage(from: NodeRef, msg: TxMessage): void {
    switch (msg.type) {
      case "txInit":
        this.leader.onInit(msg);
        return;
      case "txVote":
        this.acceptors.onVote(msg);
        return;
      case "txAccepted":
        this.learner.onAccepted(msg);
        return;
      case "txBallot":
        this.acceptors.onBallot(from, msg);
        return;
      case "txPromise":
        this.leader.onPromise(msg);
        return;
      case "txAccept":
        this.acceptors.onAccept(from, msg);
        return;
      case "txMisrouted":
        this.tm.onMisrouted(from, msg);
        return;
      case "txApplied":
        this.delivery.onApplied(msg);
        return;
      case "txDecided":
        this.decider.onDecided(msg);
        return;
      case "txAsk":
        this.leader.onAsk(from, msg);
        return;
      default:
        return;
    }
  }

  onTimer(tag: TxTimer): void {
    switch (tag.type) {
      case "txVoteTimeout":
        this.tm.onVoteTimeout(tag.tid);
        return;
      case "txTakeover":
        this.leader.onTakeover(tag.tid, tag.attempt);
        return;
      case "txFinalResend":
        this.delivery.onResend(tag.tid, tag.attempt);
        return;
      case "txGc":
        this.gc();
        return;
      case "txDeadline":
        this.answers.onDeadline(tag.tid);
        return;
      case "txFlush":
        this.acceptors.onFlush(tag.tid);
        return;
      case "txRtmRetry":
        this.discovery.onRetry(tag.retry);
        return;
      default:
        return;
    }
  }

  private gc(): void {
    this.table.forgetIdle(this.env.now(), this.config.keepDecidedMs);
    this.env.setTimer(this.config.keepDecidedMs / 4, { type: "txGc" });
  }
}
