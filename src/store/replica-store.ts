// The replicas a node keeps (docs/replication.md, docs/register.md §1): the facade the node wires. It owns
// the one id sequence and the counters, routes each store message and timer to the component whose role it
// is — the register at this replica (register-service.ts), hand-over (hand-over.ts), repair (repair.ts),
// anti-entropy (anti-entropy.ts) — and turns a change of predecessor into their calls. Which parts of the
// range are unsynced, and what the disk claims, lives in unsynced-ranges.ts and is shared by all of them.
// Must not break: a node takes part in register rounds only for ids it serves (owned and synced), and the
// order of sends, timers and random draws here is what the trace hashes pin.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { PredChangeCause } from "../overlay/ring-hooks.js";
import { AntiEntropy } from "./anti-entropy.js";
import { HandOver } from "./hand-over.js";
import { RegisterService } from "./register-service.js";
import { RangeRepair } from "./repair.js";
import type { RingAccess } from "./ring-access.js";
import { type Interval, subtract } from "./ring-intervals.js";
import type { StoreConfig, StoreCounters } from "./store-config.js";
import type { StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";
import { UnsyncedRanges } from "./unsynced-ranges.js";

/** The node, the live runtime and the simulator configure the store through its facade. */
export { DEFAULT_STORE, type StoreConfig } from "./store-config.js";

type StoreEnv = Env<StoreMessage, StoreTimer>;

export class ReplicaStore {
  private readonly ids: IdSpace;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly sync: UnsyncedRanges;
  private readonly register: RegisterService;
  private readonly repair: RangeRepair;
  private readonly handover: HandOver;
  private readonly antiEntropy: AntiEntropy;
  /** Transfer, repair and ask ids: one sequence, so no two are ever equal. */
  private nextId = 1;
  /** Figures for the metrics (replica maintenance per membership event, docs/replication.md §7). */
  readonly counters: StoreCounters = {
    handoversSent: 0,
    handoverItems: 0,
    repairsStarted: 0,
    repairsDone: 0,
    repairAsks: 0,
  };

  constructor(env: StoreEnv, ids: IdSpace, config: StoreConfig, port: StorePort, ring: RingAccess) {
    this.ids = ids;
    this.port = port;
    this.ring = ring;
    const newId = () => this.nextId++;
    this.sync = new UnsyncedRanges(ids, port, ring);
    this.register = new RegisterService(env, ids, config.replication, port, ring, this.sync);
    this.repair = new RangeRepair(env, ids, config, port, ring, this.sync, this.counters, newId);
    this.handover = new HandOver(env, ids, config, port, ring, this.sync, this.repair, this.counters, newId);
    this.antiEntropy = new AntiEntropy(env, ids, config, port, ring, this.sync);
  }

  start(): void {
    this.antiEntropy.start();
  }

  /** Whether the replica id is mine and its data complete (I take part in its register rounds). */
  serves(id: RingId): boolean {
    return this.sync.serves(id);
  }

  get unsynced(): readonly Interval[] {
    return this.sync.ranges;
  }

  /** The ring changed my predecessor: hand over what I lost, wait for or repair what I gained. */
  onPredChange(old: NodeRef | null, pred: NodeRef | null, cause: PredChangeCause): void {
    const self = this.ring.self.id;
    if (pred === null) {
      // Nothing is mine: what was mine must be handed to me again before I trust it (H12), and a repair
      // has nothing left to settle (U9).
      if (old !== null) this.handover.lost({ from: old.id, to: self });
      this.sync.clear();
      this.repair.dropSettled();
      return;
    }
    const now: Interval = { from: pred.id, to: self };
    if (cause === "first") {
      // A new ring holds nothing: all synced — unless this node restarted with data (a cold start
      // of the cluster): then every range waits for its replica classes.
      if (this.port.restored) this.repair.start(now);
      else this.sync.recordIfSynced();
      return;
    }
    if (cause === "joined") {
      this.handover.expect(now, this.ring.succ);
      this.sync.recordIfSynced(); // the hand-over may have come first
      return;
    }
    const before: Interval | null = old === null ? null : { from: old.id, to: self };
    // What I no longer own goes to the new pred (a joiner or a closer fixer).
    if (before !== null && pred.id !== self && this.ids.inOO(pred.id, before.from, self))
      this.handover.send({ from: before.from, to: pred.id }, pred);
    const gained = before === null ? [now] : subtract(this.ids, now, before);
    this.sync.clip(now);
    this.repair.dropSettled(); // a repair whose parts all went to the new pred stops (U9)
    for (const range of gained) {
      if (cause === "leave" && old !== null) this.handover.expect(range, old);
      else this.repair.start(range);
    }
    this.sync.recordIfSynced();
  }

  /** Graceful leave: everything I own goes to my successor. */
  handOverAll(): void {
    const pred = this.ring.pred;
    const succ = this.ring.succ;
    if (pred === null || succ === null || succ.addr === this.ring.self.addr) return;
    this.handover.send({ from: pred.id, to: this.ring.self.id }, succ);
  }

  onMessage(from: NodeRef, msg: StoreMessage): void {
    switch (msg.type) {
      case "regPeek":
      case "regRead":
      case "regWrite":
        this.register.onRequest(from, msg);
        return;
      case "handover":
        this.handover.onHandover(from, msg);
        return;
      case "handoverAck":
        this.handover.onAck(msg);
        return;
      case "repairAsk":
        this.repair.onAsk(from, msg);
        return;
      case "repairReply":
        this.repair.onReply(msg);
        return;
      case "digest":
        this.antiEntropy.onDigest(from, msg);
        return;
      case "digestReply":
        this.antiEntropy.onDigestReply(msg);
        return;
      case "regReply":
        return; // the proposer's business
    }
  }

  onTimer(tag: StoreTimer): void {
    switch (tag.type) {
      case "handoverWait":
        this.handover.onWait({ from: tag.from, to: tag.to });
        return;
      case "handoverResend":
        this.handover.onResend(tag.transfer, tag.attempt);
        return;
      case "repairTimeout":
        this.repair.onTimeout(tag.repair);
        return;
      case "antiEntropy":
        this.antiEntropy.onTimer();
        return;
      default:
        return;
    }
  }
}
