// A selfman node (ARCHITECTURE.md §1): the relaxed ring, the replicas it keeps and the proposer of
// single-key operations, wired into one process. Messages and timers go to the component they
// belong to; the ring tells the replicas when its range changes. The node API: the ring's (lookup,
// leave) and the store's (get, put, delete, cas, incr, append, remove). Graceful leave hands the
// node's items to its successor right after telling the neighbours.
import type { Env, Process } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { OverlayConfig } from "../overlay/config.js";
import type { RingMessage, RingRef, RingTimer } from "../overlay/messages.js";
import { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import type { LookupCallback, RingNodeApi } from "../overlay/ring-view.js";
import type { Value } from "../store/item.js";
import { type KvOp, KvProposer, type KvResult, type ProposerConfig } from "../store/kv-proposer.js";
import { ReplicaStore, type StoreConfig } from "../store/replica-store.js";
import type { StoreMessage, StoreTimer } from "../store/store-messages.js";
import type { StorePort } from "../store/store-port.js";
import { Transaction } from "../tx/transaction.js";
import { type TxConfig, TxCoordinator, type TxOutcome } from "../tx/tx-coordinator.js";
import type { TxEntry } from "../tx/tx-lock.js";
import type { TxMessage, TxTimer } from "../tx/tx-messages.js";
import { TxParticipant } from "../tx/tx-participant.js";

export type NodeMessage = RingMessage | StoreMessage | TxMessage;
export type NodeTimer = RingTimer | StoreTimer | TxTimer;

export interface NodeConfig {
  readonly overlay: OverlayConfig;
  readonly store: StoreConfig;
  readonly proposer: ProposerConfig;
  readonly tx: TxConfig;
}

const STORE_MESSAGES: ReadonlySet<string> = new Set<StoreMessage["type"]>([
  "regPeek",
  "regRead",
  "regWrite",
  "regReply",
  "handover",
  "handoverAck",
  "repairAsk",
  "repairReply",
  "digest",
  "digestReply",
]);
const PARTICIPANT_MESSAGES: ReadonlySet<string> = new Set<TxMessage["type"]>(["txPrepare", "txFinal"]);
const COORDINATOR_MESSAGES: ReadonlySet<string> = new Set<TxMessage["type"]>([
  "txVote",
  "txMisrouted",
  "txInit",
  "txAccepted",
  "txBallot",
  "txPromise",
  "txAccept",
  "txApplied",
  "txDecided",
  "txAsk",
]);
const COORDINATOR_TIMERS: ReadonlySet<string> = new Set<TxTimer["type"]>([
  "txVoteTimeout",
  "txTakeover",
  "txFinalResend",
  "txGc",
  "txDeadline",
  "txRtmRetry",
  "txFlush",
]);
const PROPOSER_TIMERS: ReadonlySet<string> = new Set<StoreTimer["type"]>(["opTimeout", "opRetry"]);
const STORE_TIMERS: ReadonlySet<string> = new Set<StoreTimer["type"]>([
  "handoverWait",
  "handoverResend",
  "repairTimeout",
  "antiEntropy",
]);

export class SelfmanNode implements Process<NodeMessage, NodeTimer>, RingNodeApi {
  readonly ring: RelaxedRingNode;
  readonly replicas: ReplicaStore;
  readonly kv: KvProposer;
  readonly tm: TxCoordinator;
  readonly tp: TxParticipant;
  readonly port: StorePort;

  constructor(
    env: Env<NodeMessage, NodeTimer>,
    config: NodeConfig,
    ids: IdSpace,
    port: StorePort,
    accessPoint: NodeRef | null,
    wishedRing: RingRef | null = null,
  ) {
    this.port = port;
    this.ring = new RelaxedRingNode(env, config.overlay, ids, accessPoint, wishedRing, {
      onPredChange: (old, pred, cause) => this.replicas.onPredChange(old, pred, cause),
    });
    this.replicas = new ReplicaStore(env, ids, config.store, port, this.ring);
    this.kv = new KvProposer(env, ids, config.proposer, this.ring);
    const rounds = { newRound: () => this.kv.nextRound() };
    this.tm = new TxCoordinator(env, ids, config.tx, this.ring, this.kv.owners, rounds);
    this.tp = new TxParticipant(env, ids, config.tx, port, this.ring, this.replicas);
  }

  start(): void {
    this.ring.start();
    this.replicas.start();
    this.tm.start();
    this.tp.start();
  }

  onMessage(from: NodeRef, msg: NodeMessage): void {
    if (PARTICIPANT_MESSAGES.has(msg.type)) {
      this.tp.onMessage(from, msg as TxMessage);
      return;
    }
    if (COORDINATOR_MESSAGES.has(msg.type)) {
      this.tm.onMessage(from, msg as TxMessage);
      return;
    }
    if (!STORE_MESSAGES.has(msg.type)) {
      this.ring.onMessage(from, msg as RingMessage);
      return;
    }
    if (msg.type === "regReply") this.kv.onMessage(from, msg);
    else this.replicas.onMessage(from, msg as StoreMessage);
  }

  onTimer(tag: NodeTimer, id: number): void {
    if (COORDINATOR_TIMERS.has(tag.type)) this.tm.onTimer(tag as TxTimer);
    else if (tag.type === "txLockCheck") this.tp.onTimer(tag as TxTimer);
    else if (PROPOSER_TIMERS.has(tag.type)) this.kv.onTimer(tag as StoreTimer);
    else if (STORE_TIMERS.has(tag.type)) this.replicas.onTimer(tag as StoreTimer);
    else this.ring.onTimer(tag as RingTimer);
    void id;
  }

  // ---- the store API ------------------------------------------------------------------------------

  /** A single-key operation, linearizable (§7.10); the callback runs once, in a later handler. */
  submit(key: string, op: KvOp, onDone: (result: KvResult) => void): void {
    this.kv.submit(key, op, onDone);
  }

  get(key: string, onDone: (result: KvResult) => void): void {
    this.submit(key, { kind: "get" }, onDone);
  }

  put(key: string, value: Value, onDone: (result: KvResult) => void): void {
    this.submit(key, { kind: "put", value }, onDone);
  }

  // ---- transactions (§7) --------------------------------------------------------------------------

  /** A new transaction on this node (this node is its TM): read, write, then commit. */
  transaction(): Transaction {
    this.tm.warmUp();
    return new Transaction({
      submit: (key, op, onDone) => this.kv.submit(key, op, onDone),
      commitLog: (log: readonly TxEntry[], onDone: (outcome: TxOutcome) => void) =>
        this.tm.commit(log, onDone),
    });
  }

  // ---- the ring API (RingNodeApi), as the ring has it ----------------------------------------------

  get self(): NodeRef {
    return this.ring.self;
  }
  get pred(): NodeRef | null {
    return this.ring.pred;
  }
  get succ(): NodeRef | null {
    return this.ring.succ;
  }
  get succList(): readonly NodeRef[] {
    return this.ring.succList;
  }
  get isMember(): boolean {
    return this.ring.isMember;
  }
  fingerRefs(): readonly NodeRef[] {
    return this.ring.fingerRefs();
  }
  routingTableSize(): number {
    return this.ring.routingTableSize();
  }
  suspected(): readonly NodeRef[] {
    return this.ring.suspected();
  }
  lookup(key: RingId, onDone: LookupCallback): void {
    this.ring.lookup(key, onDone);
  }
  join(contact: NodeRef): void {
    this.ring.join(contact);
  }
  get ringRef(): RingRef | null {
    return this.ring.ringRef;
  }
  mergeWith(contact: NodeRef): void {
    this.ring.mergeWith(contact);
  }

  /** Graceful leave: the neighbours learn it, then the successor gets every item. */
  leave(): void {
    this.ring.leave();
    this.replicas.handOverAll();
  }
}
