// The replicas a node keeps (algorithms.md §6, §7.10): it answers register requests for the replica ids
// in its range, hands items over when its range shrinks (a join) or it leaves, and fills a range that
// grew by a crash from the other replica classes (repair). A part of the range whose data is not
// known to be complete is *unsynced*: there the node abstains from every register round (§6.4) — this
// is what keeps a replica that lost its data from joining a majority with stale answers. Periodic
// anti-entropy compares digests with another replica class and takes what is newer.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { PredChangeCause } from "../overlay/ring-hooks.js";
import { emptyItem, mergeItems, ROUND_ZERO, type StoredItem } from "./item.js";
import { acceptRead, acceptWrite, seenRound, stateOf } from "./register.js";
import { replicaIds, shiftRange } from "./replicas.js";
import { type Interval, intersect, subtract } from "./ring-intervals.js";
import type { ReplyStatus, StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";

type StoreEnv = Env<StoreMessage, StoreTimer>;
type MessageOf<T extends StoreMessage["type"]> = Extract<StoreMessage, { type: T }>;

/** What the replicas need of the ring they live on. */
export interface RingAccess {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  owns(id: RingId): boolean;
  lookup(id: RingId, onDone: (result: { ok: true; responsible: NodeRef } | { ok: false }) => void): void;
}

export interface StoreConfig {
  /** Replication degree f (a power of two). */
  readonly replication: number;
  /** A hand-over that has not arrived after this is given up for a repair. */
  readonly handoverWaitMs: number;
  /** A repair re-asks what has not been answered after this. */
  readonly repairRetryMs: number;
  /** Anti-entropy round period (0: off). */
  readonly antiEntropyMs: number;
}

export const DEFAULT_STORE: StoreConfig = {
  replication: 4,
  handoverWaitMs: 5000,
  repairRetryMs: 3000,
  antiEntropyMs: 30_000,
};

/** Unsynced part of the range: waiting for a hand-over, or being repaired. */
interface Gap {
  readonly range: Interval;
  readonly kind: "handover" | "repair";
}

/** Repair of one gap: per other replica class, how far its shifted range has been read. */
interface Repair {
  readonly id: number;
  readonly range: Interval;
  readonly classes: RepairClass[];
  readonly items: Map<string, StoredItem>;
}

interface RepairClass {
  readonly shift: number;
  /** The class's shifted range. */
  readonly range: Interval;
  /** Read up to here (exclusive start of what is left), in the class's coordinates. */
  covered: RingId;
  /** Parts read from a source that did not know its data complete there, in my coordinates. */
  untrusted: Interval[];
  /** The ask in flight, if any. */
  ask: number | null;
}

const ANTI_ENTROPY: StoreTimer = { type: "antiEntropy" };
const DIGEST_BUCKETS = 16;
/** Hand-overs received lately, so one that arrives before the range change is not waited for. */
const RECEIVED_MAX = 64;
/** A hand-over is sent this many times at most, before the receiver's wait runs out. */
const HANDOVER_ATTEMPTS = 3;

const slot = (item: StoredItem) => `${item.replicaId.toString(36)}/${item.key}`;

function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class ReplicaStore {
  private readonly env: StoreEnv;
  private readonly ids: IdSpace;
  private readonly config: StoreConfig;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private gaps: Gap[] = [];
  /** Hand-overs received lately, and the parts of each its sender had incomplete. */
  private readonly received: { range: Interval; gaps: readonly Interval[] }[] = [];
  private readonly repairs = new Map<number, Repair>();
  /** Repair asks in flight: ask id → (repair, class index). */
  private readonly asks = new Map<number, { repair: number; cls: number }>();
  /** Hand-overs not yet acknowledged: what, to whom (resent a few times; the items stay until then). */
  private readonly transfers = new Map<number, { range: Interval; to: NodeRef }>();
  private nextId = 1;
  /** The range recorded on disk as complete (what a restart would trust); never more than is held. */
  private recorded: Interval | null;
  /**
   * After a restart: the range recorded before it, whose items this node offers as a repair source
   * while it repairs (§6.4); shrunk as items are given away.
   */
  private restoredClaim: Interval | null;
  /** Figures for the metrics (B8: replica maintenance per membership event). */
  readonly counters = {
    handoversSent: 0,
    handoverItems: 0,
    repairsStarted: 0,
    repairsDone: 0,
    repairAsks: 0,
  };

  constructor(env: StoreEnv, ids: IdSpace, config: StoreConfig, port: StorePort, ring: RingAccess) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.port = port;
    this.ring = ring;
    this.recorded = port.previousRange;
    this.restoredClaim = port.restored ? port.previousRange : null;
  }

  start(): void {
    if (this.config.antiEntropyMs > 0)
      this.env.setTimer(this.config.antiEntropyMs * (0.5 + this.env.random()), ANTI_ENTROPY);
  }

  /** Whether the replica id is mine and its data complete (I take part in its register rounds). */
  serves(id: RingId): boolean {
    return this.ring.owns(id) && !this.gaps.some((g) => this.ids.inOC(id, g.range.from, g.range.to));
  }

  get unsynced(): readonly Interval[] {
    return this.gaps.map((g) => g.range);
  }

  // ---- range changes (§6.3, §6.4) -------------------------------------------------------------

  /** The ring changed my predecessor: hand over what I lost, wait for or repair what I gained. */
  onPredChange(old: NodeRef | null, pred: NodeRef | null, cause: PredChangeCause): void {
    const self = this.ring.self.id;
    if (pred === null) {
      this.gaps = [];
      return;
    }
    const now: Interval = { from: pred.id, to: self };
    if (cause === "first") {
      // A new ring holds nothing: all synced — unless this node restarted with data (a cold start
      // of the cluster): then every range waits for its replica classes.
      if (this.port.restored) this.startRepair(now);
      else this.recordIfSynced();
      return;
    }
    if (cause === "joined") {
      const source = this.ring.succ;
      this.expect(now, source);
      this.recordIfSynced(); // the hand-over may have come first
      return;
    }
    const before: Interval | null = old === null ? null : { from: old.id, to: self };
    // What I no longer own goes to the new pred (a joiner or a closer fixer).
    if (before !== null && pred.id !== self && this.ids.inOO(pred.id, before.from, self))
      this.handOver({ from: before.from, to: pred.id }, pred);
    const gained = before === null ? [now] : subtract(this.ids, now, before);
    this.clipGaps(now);
    for (const range of gained) {
      if (cause === "leave" && old !== null) this.expect(range, old);
      else this.startRepair(range);
    }
    this.recordIfSynced();
  }

  /** Records my range as complete when it is (what a restart may trust). */
  private recordIfSynced(): void {
    const pred = this.ring.pred;
    if (pred === null || this.gaps.length > 0) return;
    this.record({ from: pred.id, to: this.ring.self.id });
  }

  private record(range: Interval | null): void {
    const same =
      range === null
        ? this.recorded === null
        : range.from === this.recorded?.from && range.to === this.recorded.to;
    if (same) return;
    this.recorded = range;
    this.port.recordRange(range);
  }

  /** Before items of `range` are deleted: no claim on disk or in memory covers them any more. */
  private forget(range: Interval): void {
    const shrink = (claim: Interval | null): Interval | null =>
      claim === null ? null : (subtract(this.ids, claim, range).find((p) => p.to === claim.to) ?? null);
    this.record(shrink(this.recorded));
    this.restoredClaim = shrink(this.restoredClaim);
  }

  /** Graceful leave: everything I own goes to my successor. */
  handOverAll(): void {
    const pred = this.ring.pred;
    const succ = this.ring.succ;
    if (pred === null || succ === null || succ.addr === this.ring.self.addr) return;
    this.handOver({ from: pred.id, to: this.ring.self.id }, succ);
  }

  private handOver(range: Interval, to: NodeRef): void {
    const transfer = this.nextId++;
    this.transfers.set(transfer, { range, to });
    this.sendTransfer(transfer, 1);
  }

  private sendTransfer(transfer: number, attempt: number): void {
    const pending = this.transfers.get(transfer);
    if (pending === undefined) return;
    if (attempt > HANDOVER_ATTEMPTS) {
      this.transfers.delete(transfer); // the receiver repairs instead; my copy stays until cleaned up
      return;
    }
    const { range, to } = pending;
    const items = this.port.range(range.from, range.to);
    this.counters.handoversSent++;
    this.counters.handoverItems += items.length;
    const gaps = this.gaps.flatMap((g) => intersect(this.ids, g.range, range));
    this.env.send(to, { type: "handover", transfer, from: range.from, to: range.to, items, gaps });
    this.env.setTimer(this.config.handoverWaitMs / (HANDOVER_ATTEMPTS + 1), {
      type: "handoverResend",
      transfer,
      attempt: attempt + 1,
    });
  }

  /** A hand-over of `range` is due from `source`; until it arrives the range is unsynced. */
  private expect(range: Interval, source: NodeRef | null): void {
    let missing = [range];
    for (const got of this.received) {
      missing = missing.flatMap((m) => subtract(this.ids, m, got.range));
      // What the sender had incomplete, I must repair.
      for (const gap of got.gaps) for (const part of intersect(this.ids, gap, range)) this.startRepair(part);
    }
    for (const part of missing) {
      if (source === null || this.config.replication <= 1) {
        this.startRepair(part);
        continue;
      }
      this.gaps.push({ range: part, kind: "handover" });
      this.env.setTimer(this.config.handoverWaitMs, { type: "handoverWait", from: part.from, to: part.to });
    }
  }

  private clipGaps(range: Interval): void {
    this.gaps = this.gaps.flatMap((g) =>
      intersect(this.ids, g.range, range).map((r) => ({ range: r, kind: g.kind })),
    );
  }

  private markSynced(range: Interval): void {
    this.gaps = this.gaps.flatMap((g) =>
      subtract(this.ids, g.range, range).map((r) => ({ range: r, kind: g.kind })),
    );
    this.recordIfSynced();
  }

  // ---- messages --------------------------------------------------------------------------------

  onMessage(from: NodeRef, msg: StoreMessage): void {
    switch (msg.type) {
      case "regPeek":
      case "regRead":
      case "regWrite":
        this.onRegister(from, msg);
        return;
      case "handover":
        this.onHandover(from, msg);
        return;
      case "handoverAck":
        this.onHandoverAck(msg.transfer);
        return;
      case "repairAsk":
        this.onRepairAsk(from, msg);
        return;
      case "repairReply":
        this.onRepairReply(msg);
        return;
      case "digest":
        this.onDigest(from, msg);
        return;
      case "digestReply":
        this.onDigestReply(msg);
        return;
      case "regReply":
        return; // the proposer's business
    }
  }

  onTimer(tag: StoreTimer): void {
    switch (tag.type) {
      case "handoverWait":
        this.onHandoverWait({ from: tag.from, to: tag.to });
        return;
      case "handoverResend":
        this.sendTransfer(tag.transfer, tag.attempt);
        return;
      case "repairTimeout":
        this.retryRepair(tag.repair);
        return;
      case "antiEntropy":
        this.antiEntropy();
        this.env.setTimer(this.config.antiEntropyMs, ANTI_ENTROPY);
        return;
      default:
        return;
    }
  }

  // ---- the register's acceptor (§7.10) ----------------------------------------------------------

  private onRegister(from: NodeRef, msg: MessageOf<"regPeek" | "regRead" | "regWrite">): void {
    const pred = this.ring.pred?.id ?? null;
    const reply = (status: ReplyStatus, item: StoredItem | null) =>
      this.env.send(from, {
        type: "regReply",
        op: msg.op,
        replicaId: msg.replicaId,
        status,
        item: item === null ? null : stateOf(item),
        seen: item === null ? ROUND_ZERO : seenRound(item),
        pred,
      });
    if (!this.ring.owns(msg.replicaId) || !this.isReplicaOf(msg.key, msg.replicaId)) {
      reply("notResponsible", null);
      return;
    }
    if (!this.serves(msg.replicaId)) {
      reply("abstain", null);
      return;
    }
    const item = this.port.get(msg.replicaId, msg.key) ?? emptyItem(msg.key, msg.replicaId);
    if (msg.type === "regPeek") {
      reply("ok", item);
      return;
    }
    const answer =
      msg.type === "regRead"
        ? acceptRead(item, msg.round)
        : acceptWrite(item, msg.round, msg.value, msg.version, msg.tombstone, msg.writers);
    if (answer.item !== item) this.port.put(answer.item);
    reply(answer.ok ? "ok" : answer.locked ? "locked" : "nack", answer.item);
  }

  private isReplicaOf(key: string, replicaId: RingId): boolean {
    return replicaIds(this.ids, this.config.replication, key).includes(replicaId);
  }

  // ---- hand-over ---------------------------------------------------------------------------------

  private onHandover(from: NodeRef, msg: MessageOf<"handover">): void {
    for (const item of msg.items) this.port.put(mergeItems(this.port.get(item.replicaId, item.key), item));
    const range: Interval = { from: msg.from, to: msg.to };
    this.env.send(from, { type: "handoverAck", transfer: msg.transfer });
    this.received.push({ range, gaps: msg.gaps });
    if (this.received.length > RECEIVED_MAX) this.received.shift();
    const awaited = this.gaps
      .filter((g) => g.kind === "handover")
      .flatMap((g) => intersect(this.ids, g.range, range));
    this.gaps = this.gaps.flatMap((g) =>
      g.kind === "handover"
        ? subtract(this.ids, g.range, range).map((r) => ({ range: r, kind: g.kind }))
        : [g],
    );
    // Where the sender's own data was incomplete (it was repairing, or restarted), I repair.
    for (const gap of msg.gaps)
      for (const part of awaited.flatMap((a) => intersect(this.ids, a, gap))) this.startRepair(part);
    this.recordIfSynced();
  }

  private onHandoverAck(transfer: number): void {
    const range = this.transfers.get(transfer)?.range;
    if (range === undefined) return;
    this.transfers.delete(transfer);
    // The new owner has the data: what I no longer own may go.
    this.forget(range);
    for (const item of this.port.range(range.from, range.to))
      if (!this.ring.owns(item.replicaId)) this.port.delete(item.replicaId, item.key);
  }

  private onHandoverWait(range: Interval): void {
    const waiting = this.gaps
      .filter((g) => g.kind === "handover")
      .flatMap((g) => intersect(this.ids, g.range, range));
    if (waiting.length === 0) return;
    this.markSynced(range);
    for (const part of waiting) this.startRepair(part);
  }

  // ---- repair (§6.4) ------------------------------------------------------------------------------

  private startRepair(range: Interval): void {
    if (range.from === range.to) {
      // The whole ring (a lone restarted node): two halves, so that every class range has two ends.
      const half = this.ids.add(range.from, this.ids.size / 2n);
      this.startRepair({ from: range.from, to: half });
      this.startRepair({ from: half, to: range.to });
      return;
    }
    const f = this.config.replication;
    this.gaps.push({ range, kind: "repair" });
    if (f <= 1) {
      this.markSynced(range);
      return;
    }
    const id = this.nextId++;
    const classes: RepairClass[] = [];
    for (let shift = 1; shift < f; shift++) {
      const shifted = shiftRange(this.ids, f, range.from, range.to, shift);
      classes.push({ shift, range: shifted, covered: shifted.from, untrusted: [], ask: null });
    }
    this.repairs.set(id, { id, range, classes, items: new Map() });
    this.counters.repairsStarted++;
    for (let c = 0; c < classes.length; c++) this.askNext(id, c);
    this.env.setTimer(this.config.repairRetryMs, { type: "repairTimeout", repair: id });
  }

  /**
   * Classes that must answer from trusted sources: a majority of all f replicas. Fewer (say enough
   * to meet every write's majority, f - ⌊f/2⌋) would do against crashes, but not against a
   * partition: with a key's replicas split 2/2, each side would rebuild the other two from its own
   * and both would then hold a majority — and commit conflicting writes.
   */
  private needed(): number {
    return Math.floor(this.config.replication / 2) + 1;
  }

  private askNext(repairId: number, c: number): void {
    const repair = this.repairs.get(repairId);
    const cls = repair?.classes[c];
    if (repair === undefined || cls === undefined || cls.covered === cls.range.to) return;
    const ask = this.nextId++;
    cls.ask = ask;
    this.asks.set(ask, { repair: repairId, cls: c });
    const from = cls.covered;
    this.ring.lookup(this.ids.add(from, 1n), (result) => {
      if (!result.ok || cls.ask !== ask || !this.repairs.has(repairId)) return;
      this.counters.repairAsks++;
      this.env.send(result.responsible, { type: "repairAsk", repair: ask, from, to: cls.range.to });
    });
  }

  private onRepairAsk(from: NodeRef, msg: MessageOf<"repairAsk">): void {
    const pred = this.ring.pred;
    const self = this.ring.self.id;
    const start = this.ids.add(msg.from, 1n);
    if (pred === null || !this.ring.owns(start)) {
      this.env.send(from, {
        type: "repairReply",
        repair: msg.repair,
        from: msg.from,
        covered: msg.from,
        items: [],
        gaps: [],
      });
      return;
    }
    // I own (pred, self]: I cover the asked range up to my id, or to its end if that comes first.
    const covered = this.ids.inOO(self, msg.from, msg.to) ? self : msg.to;
    const part: Interval = { from: msg.from, to: covered };
    // After a restart my items are complete where I owned them before, and only there; where I await
    // a hand-over, its sender is the authority (it may have taken writes since).
    const claim = this.restoredClaim;
    const gaps = this.gaps.flatMap((g) =>
      intersect(this.ids, g.range, part).flatMap((p) =>
        claim === null || g.kind === "handover" ? [p] : subtract(this.ids, p, claim),
      ),
    );
    const items = this.port.range(part.from, part.to);
    this.env.send(from, { type: "repairReply", repair: msg.repair, from: msg.from, covered, items, gaps });
  }

  private onRepairReply(msg: MessageOf<"repairReply">): void {
    const ask = this.asks.get(msg.repair);
    if (ask === undefined) return;
    this.asks.delete(msg.repair);
    const repair = this.repairs.get(ask.repair);
    const cls = repair?.classes[ask.cls];
    if (repair === undefined || cls === undefined || cls.ask !== msg.repair || cls.covered !== msg.from)
      return;
    cls.ask = null;
    if (msg.covered === msg.from) return; // the replier owns none of it: the retry timer asks again
    const back = (this.ids.size / BigInt(this.config.replication)) * BigInt(cls.shift);
    for (const item of msg.items) {
      const mine: StoredItem = { ...item, replicaId: this.ids.add(item.replicaId, -back) };
      repair.items.set(slot(mine), mergeItems(repair.items.get(slot(mine)), mine));
    }
    for (const gap of msg.gaps)
      cls.untrusted.push({ from: this.ids.add(gap.from, -back), to: this.ids.add(gap.to, -back) });
    cls.covered = msg.covered;
    if (cls.covered !== cls.range.to) this.askNext(repair.id, ask.cls);
    this.finishIfDone(repair);
  }

  /**
   * The parts of the repaired range that enough classes have answered from sources that knew their
   * data complete — enough to meet every committed write's majority — are synced now; the rest
   * waits (retried by the timer). Where a majority of a key's replicas lost their data, this waits
   * for ever: such a key answers with a clear error, never with what might be a stale value.
   */
  private finishIfDone(repair: Repair): void {
    const bad = this.unsettled(repair);
    const settled = bad.reduce((parts, b) => parts.flatMap((p) => subtract(this.ids, p, b)), [repair.range]);
    if (settled.length === 0) return;
    for (const item of repair.items.values()) {
      if (
        !this.ring.owns(item.replicaId) ||
        !settled.some((p) => this.ids.inOC(item.replicaId, p.from, p.to))
      )
        continue;
      this.port.put(mergeItems(this.port.get(item.replicaId, item.key), item));
    }
    for (const part of settled) this.markSynced(part);
    if (bad.length > 0) return;
    this.repairs.delete(repair.id);
    this.counters.repairsDone++;
  }

  /** Where (in my coordinates) fewer classes than needed have answered from trusted sources. */
  private unsettled(repair: Repair): Interval[] {
    const back = (shift: number) => (this.ids.size / BigInt(this.config.replication)) * BigInt(shift);
    const full = repair.range.from === repair.range.to;
    const length = full ? this.ids.size : this.ids.dist(repair.range.from, repair.range.to);
    const rel = (id: RingId, end: boolean) => {
      const d = this.ids.dist(repair.range.from, id);
      return end && d === 0n ? length : d;
    };
    // +1 where a class is not trusted (uncovered, or untrusted), -1 where that stops.
    const events: [bigint, number][] = [];
    for (const cls of repair.classes) {
      const doubtful = [...cls.untrusted];
      if (cls.covered !== cls.range.to)
        doubtful.push({ from: this.ids.add(cls.covered, -back(cls.shift)), to: repair.range.to });
      for (const d of doubtful) {
        for (const part of intersect(this.ids, d, repair.range)) {
          events.push([rel(part.from, false), 1], [rel(part.to, true), -1]);
        }
      }
    }
    events.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    const tolerated = repair.classes.length - this.needed();
    const bad: Interval[] = [];
    let count = 0;
    let start: bigint | null = null;
    for (const [at, delta] of events) {
      count += delta;
      if (count > tolerated && start === null) start = at;
      else if (count <= tolerated && start !== null) {
        if (at > start)
          bad.push({ from: this.ids.add(repair.range.from, start), to: this.ids.add(repair.range.from, at) });
        start = null;
      }
    }
    return bad;
  }

  private retryRepair(repairId: number): void {
    const repair = this.repairs.get(repairId);
    if (repair === undefined) return;
    // Given up if the range is no longer mine at all.
    const pred = this.ring.pred;
    const mine =
      pred === null ? [] : intersect(this.ids, repair.range, { from: pred.id, to: this.ring.self.id });
    if (mine.length === 0) {
      this.repairs.delete(repairId);
      return;
    }
    repair.classes.forEach((cls, c) => {
      if (cls.untrusted.length > 0) {
        // A source did not know its data complete: read the class again (it may know by now).
        cls.covered = cls.range.from;
        cls.untrusted = [];
      }
      if (cls.covered !== cls.range.to) this.askNext(repairId, c);
    });
    this.env.setTimer(this.config.repairRetryMs, { type: "repairTimeout", repair: repairId });
  }

  // ---- anti-entropy (§6.4) ------------------------------------------------------------------------

  private antiEntropy(): void {
    const pred = this.ring.pred;
    const f = this.config.replication;
    if (pred === null || f <= 1 || this.gaps.length > 0 || pred.addr === this.ring.self.addr) return;
    const shift = 1 + Math.floor(this.env.random() * (f - 1));
    const range: Interval = { from: pred.id, to: this.ring.self.id };
    const shifted = shiftRange(this.ids, f, range.from, range.to, shift);
    const buckets = this.digest(this.port.range(range.from, range.to), range);
    this.ring.lookup(this.ids.add(shifted.from, 1n), (result) => {
      if (!result.ok) return;
      this.env.send(result.responsible, { type: "digest", from: shifted.from, to: shifted.to, buckets });
    });
  }

  /** Per bucket of `range` (by position in it), a hash of the (key, write round) of its items. */
  private digest(items: readonly StoredItem[], range: Interval): number[] {
    const buckets = new Array<number>(DIGEST_BUCKETS).fill(0);
    for (const item of items) {
      const b = this.bucketOf(item.replicaId, range);
      // >>> 0: XOR of 32-bit hashes is a signed int in JS; the wire carries unsigned ones
      buckets[b] = ((buckets[b] as number) ^ this.itemHash(item)) >>> 0;
    }
    return buckets;
  }

  private bucketOf(id: RingId, range: Interval): number {
    const width = range.from === range.to ? this.ids.size : this.ids.dist(range.from, range.to);
    const at = this.ids.dist(range.from, id) - 1n;
    return Number((at * BigInt(DIGEST_BUCKETS)) / (width === 0n ? 1n : width));
  }

  private itemHash(item: StoredItem): number {
    return fnv(`${item.key}#${item.writeRound.counter}.${item.writeRound.proposer}`);
  }

  private onDigest(from: NodeRef, msg: MessageOf<"digest">): void {
    const pred = this.ring.pred;
    if (pred === null) return;
    const asked: Interval = { from: msg.from, to: msg.to };
    const mine = intersect(this.ids, asked, { from: pred.id, to: this.ring.self.id });
    const synced = mine.every((m) => this.gaps.every((g) => intersect(this.ids, g.range, m).length === 0));
    if (!synced || mine.length === 0) return;
    const items = mine.flatMap((m) => this.port.range(m.from, m.to));
    const buckets = this.digest(items, asked);
    const differ = new Set(buckets.flatMap((b, i) => (b !== msg.buckets[i] ? [i] : [])));
    const newer = items.filter((item) => differ.has(this.bucketOf(item.replicaId, asked)));
    if (newer.length > 0) this.env.send(from, { type: "digestReply", items: newer });
  }

  private onDigestReply(msg: MessageOf<"digestReply">): void {
    const f = this.config.replication;
    for (const item of msg.items) {
      const mine = replicaIds(this.ids, f, item.key).find((r) => this.serves(r));
      if (mine === undefined) continue;
      const current = this.port.get(mine, item.key);
      const merged = mergeItems(current, { ...item, replicaId: mine });
      if (merged !== current) this.port.put(merged);
    }
  }
}
