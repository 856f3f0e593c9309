// A selfman node (docs/architecture.md §1): the relaxed ring, the replicas it keeps and the proposer of
// single-key operations, wired into one process. Messages and timers go to the component they
// belong to, through one table each, keyed by every type (a type without a handler does not
// compile); the ring tells the replicas when its range changes. The node API: the ring's (lookup,
// leave) and the store's (get, put, delete, cas, incr, append, remove). Graceful leave hands the
// node's items to its successor right after telling the neighbours.
import type { Env, Process } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { MessageOf } from "../core/message.js";
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

/** One handler per message type: a type missing or extra is a compile error. */
type MessageTable = {
  readonly [K in NodeMessage["type"]]: (from: NodeRef, msg: MessageOf<NodeMessage, K>) => void;
};
/** One handler per timer type: a type missing or extra is a compile error. */
type TimerTable = { readonly [K in NodeTimer["type"]]: (tag: MessageOf<NodeTimer, K>) => void };

/** Calls the handler of `msg`'s type (generic, so that the handler's and the message's K agree). */
function dispatchMessage<K extends NodeMessage["type"]>(
  table: MessageTable,
  type: K,
  from: NodeRef,
  msg: MessageOf<NodeMessage, K>,
): void {
  table[type](from, msg);
}

function dispatchTimer<K extends NodeTimer["type"]>(
  table: TimerTable,
  type: K,
  tag: MessageOf<NodeTimer, K>,
): void {
  table[type](tag);
}

export class SelfmanNode implements Process<NodeMessage, NodeTimer>, RingNodeApi {
  readonly ring: RelaxedRingNode;
  readonly replicas: ReplicaStore;
  readonly kv: KvProposer;
  readonly tm: TxCoordinator;
  readonly tp: TxParticipant;
  readonly port: StorePort;
  private readonly messageHandlers: MessageTable;
  private readonly timerHandlers: TimerTable;

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
    this.messageHandlers = this.messageTable();
    this.timerHandlers = this.timerTable();
  }

  /** Which component takes each message (docs/architecture.md §1: the node only routes). */
  private messageTable(): MessageTable {
    const ring = (from: NodeRef, msg: RingMessage) => this.ring.onMessage(from, msg);
    const replicas = (from: NodeRef, msg: StoreMessage) => this.replicas.onMessage(from, msg);
    const proposer = (from: NodeRef, msg: StoreMessage) => this.kv.onMessage(from, msg);
    const tm = (from: NodeRef, msg: TxMessage) => this.tm.onMessage(from, msg);
    const tp = (from: NodeRef, msg: TxMessage) => this.tp.onMessage(from, msg);
    return {
      // the ring: failure detector, fingers, routing, join, leave, recovery, merge
      ping: ring,
      pong: ring,
      probe: ring,
      probeReply: ring,
      route: ring,
      routeAck: ring,
      lookupReply: ring,
      newFinger: ring,
      joinOk: ring,
      joinLater: ring,
      badRingRef: ring,
      newSucc: ring,
      predNoMore: ring,
      updSuccList: ring,
      fix: ring,
      fixOk: ring,
      redirect: ring,
      hint: ring,
      leaving: ring,
      passivePing: ring,
      passivePong: ring,
      trymerge: ring,
      mlookupAsk: ring,
      // the store: the register's replica side, hand-over, repair, anti-entropy; replies to the proposer
      regPeek: replicas,
      regRead: replicas,
      regWrite: replicas,
      regReply: proposer,
      handover: replicas,
      handoverAck: replicas,
      repairAsk: replicas,
      repairReply: replicas,
      digest: replicas,
      digestReply: replicas,
      // transactions: the participant (TP) takes prepares and finals, the coordinator (TM, rTM) the rest
      txPrepare: tp,
      txFinal: tp,
      txVote: tm,
      txMisrouted: tm,
      txInit: tm,
      txAccepted: tm,
      txBallot: tm,
      txPromise: tm,
      txAccept: tm,
      txApplied: tm,
      txDecided: tm,
      txAsk: tm,
    };
  }

  /** Which component set each timer. */
  private timerTable(): TimerTable {
    const ring = (tag: RingTimer) => this.ring.onTimer(tag);
    const replicas = (tag: StoreTimer) => this.replicas.onTimer(tag);
    const proposer = (tag: StoreTimer) => this.kv.onTimer(tag);
    const tm = (tag: TxTimer) => this.tm.onTimer(tag);
    const tp = (tag: TxTimer) => this.tp.onTimer(tag);
    return {
      fdRound: ring,
      joinRetry: ring,
      predTakeover: ring,
      hint: ring,
      fingerRefresh: ring,
      fingerProbe: ring,
      probeCheck: ring,
      lookupTimeout: ring,
      routeRetry: ring,
      hopTimeout: ring,
      fixTimeout: ring,
      mergeRound: ring,
      passiveRound: ring,
      loopCheck: ring,
      opTimeout: proposer,
      opRetry: proposer,
      handoverWait: replicas,
      handoverResend: replicas,
      repairTimeout: replicas,
      antiEntropy: replicas,
      txVoteTimeout: tm,
      txTakeover: tm,
      txFinalResend: tm,
      txGc: tm,
      txDeadline: tm,
      txRtmRetry: tm,
      txFlush: tm,
      txLockCheck: tp,
    };
  }

  start(): void {
    this.ring.start();
    this.replicas.start();
    this.tm.start();
    this.tp.start();
  }

  onMessage(from: NodeRef, msg: NodeMessage): void {
    dispatchMessage(this.messageHandlers, msg.type, from, msg);
  }

  onTimer(tag: NodeTimer, id: number): void {
    dispatchTimer(this.timerHandlers, tag.type, tag);
    void id;
  }

  // ---- the store API -------------------------------------------------------------------------------

  /** A single-key operation, linearizable (docs/register.md); the callback runs once, in a later handler. */
  submit(key: string, op: KvOp, onDone: (result: KvResult) => void): void {
    this.kv.submit(key, op, onDone);
  }

  get(key: string, onDone: (result: KvResult) => void): void {
    this.submit(key, { kind: "get" }, onDone);
  }

  put(key: string, value: Value, onDone: (result: KvResult) => void): void {
    this.submit(key, { kind: "put", value }, onDone);
  }

  // ---- transactions (docs/transactions.md) ---------------------------------------------------------

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
