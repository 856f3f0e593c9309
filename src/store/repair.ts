// Repair of a range whose data is not complete (docs/replication.md §4): the range grew by a crash, its
// hand-over never came, or the node restarted. For each other replica class the node reads the shifted range
// owner by owner (repairAsk, repairReply), merges what it gets, and marks a part synced once enough classes
// answered it from trusted sources; the rest is asked again every repairRetryMs. It also answers other
// nodes' asks. Must not break: a part is marked synced only where a majority of all f replicas (⌊f/2⌋+1
// other classes) answered it from data their senders knew complete, and a repair settles only its own parts
// (U8) and stops once none is left (U9).
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { mergeItems, type StoredItem } from "./item.js";
import { classOffset, fewestTrusted, type RepairClass, settledParts, unsettled } from "./repair-coverage.js";
import { shiftRange } from "./replicas.js";
import type { RingAccess } from "./ring-access.js";
import type { Interval } from "./ring-intervals.js";
import { majorityOf, type StoreCounters } from "./store-config.js";
import type { StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";
import type { UnsyncedRanges } from "./unsynced-ranges.js";

type MessageOf<T extends StoreMessage["type"]> = Extract<StoreMessage, { type: T }>;

/** Repair of one range: per other replica class, how far its shifted range has been read. */
interface Repair {
  readonly id: number;
  readonly range: Interval;
  readonly classes: RepairClass[];
  /** What the classes sent, in my coordinates, merged per (replica id, key). */
  readonly items: Map<string, StoredItem>;
}

export interface RepairConfig {
  readonly replication: number;
  /** A repair re-asks what has not been answered after this. */
  readonly repairRetryMs: number;
}

const slot = (item: StoredItem) => `${item.replicaId.toString(36)}/${item.key}`;

export class RangeRepair {
  private readonly env: Env<StoreMessage, StoreTimer>;
  private readonly ids: IdSpace;
  private readonly config: RepairConfig;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly sync: UnsyncedRanges;
  private readonly counters: StoreCounters;
  private readonly newId: () => number;
  private readonly repairs = new Map<number, Repair>();
  /** Asks in flight: ask id → (repair, class index). */
  private readonly asks = new Map<number, { repair: number; cls: number }>();
  /** Replies held back by the fault hook, taken in at their repair's next retry timer. */
  private late: MessageOf<"repairReply">[] = [];

  constructor(
    env: Env<StoreMessage, StoreTimer>,
    ids: IdSpace,
    config: RepairConfig,
    port: StorePort,
    ring: RingAccess,
    sync: UnsyncedRanges,
    counters: StoreCounters,
    newId: () => number,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.port = port;
    this.ring = ring;
    this.sync = sync;
    this.counters = counters;
    this.newId = newId;
  }

  /**
   * `range` is unsynced from now until enough classes answered it — or, if `source` is given, until that
   * node (that incarnation) hands it over complete after all (see UnsyncedRanges.settleRelayed).
   */
  start(range: Interval, source: NodeRef | null = null): void {
    if (range.from === range.to) {
      // The whole ring (a lone restarted node): two halves, so that every class range has two ends.
      const half = this.ids.add(range.from, this.ids.size / 2n);
      this.start({ from: range.from, to: half }, source);
      this.start({ from: half, to: range.to }, source);
      return;
    }
    const f = this.config.replication;
    if (f <= 1) {
      // One replica: there is no other class to read; what the node holds is all there is.
      this.sync.recordIfSynced();
      return;
    }
    const id = this.newId();
    this.sync.addRepair(range, id, source);
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
    return majorityOf(this.config.replication);
  }

  /** Asks the owner of the next unread part of class `c`'s range. */
  private askNext(repairId: number, c: number): void {
    const repair = this.repairs.get(repairId);
    const cls = repair?.classes[c];
    if (repair === undefined || cls === undefined || cls.covered === cls.range.to) return;
    const ask = this.newId();
    cls.ask = ask;
    this.asks.set(ask, { repair: repairId, cls: c });
    const from = cls.covered;
    this.ring.lookup(this.ids.add(from, 1n), (result) => {
      if (!result.ok || cls.ask !== ask || !this.repairs.has(repairId)) return;
      this.counters.repairAsks++;
      this.env.send(result.responsible, { type: "repairAsk", repair: ask, from, to: cls.range.to });
    });
  }

  /** Another node's ask: my items of the asked range up to my id, and where my own data is in doubt. */
  onAsk(from: NodeRef, msg: MessageOf<"repairAsk">): void {
    const pred = this.ring.pred;
    const self = this.ring.self.id;
    const start = this.ids.add(msg.from, 1n);
    if (pred === null || !this.ring.owns(start)) {
      const none = { repair: msg.repair, from: msg.from, covered: msg.from, items: [], gaps: [] };
      this.env.send(from, { type: "repairReply", ...none });
      return;
    }
    // I own (pred, self]: I cover the asked range up to my id, or to its end if that comes first.
    const covered = this.ids.inOO(self, msg.from, msg.to) ? self : msg.to;
    const part: Interval = { from: msg.from, to: covered };
    invariant(
      this.ring.owns(covered),
      "replication: a repair reply covers only what the replier owns",
      () => `ask (${msg.from}, ${msg.to}] answered up to ${covered}, outside (${pred.id}, ${self}]`,
    );
    const gaps = this.sync.untrustedIn(part);
    const items = this.port.range(part.from, part.to);
    const reply: MessageOf<"repairReply"> = {
      type: "repairReply",
      repair: msg.repair,
      from: msg.from,
      covered,
      items,
      gaps,
    };
    this.env.send(from, reply);
    // Fault hook: the network delivers the reply twice (the second finds its ask answered).
    if (this.env.buggify("store.repair.reply-twice")) this.env.send(from, reply);
  }

  /** A reply to one of my asks. Fault hook: it is delayed to the repair's next retry timer. */
  onReply(msg: MessageOf<"repairReply">): void {
    if (this.asks.has(msg.repair) && this.env.buggify("store.repair.reply-late")) {
      this.late.push(msg);
      return;
    }
    this.takeReply(msg);
  }

  private takeReply(msg: MessageOf<"repairReply">): void {
    const ask = this.asks.get(msg.repair);
    if (ask === undefined) return;
    this.asks.delete(msg.repair);
    const repair = this.repairs.get(ask.repair);
    const cls = repair?.classes[ask.cls];
    if (repair === undefined || cls === undefined || cls.ask !== msg.repair || cls.covered !== msg.from)
      return;
    cls.ask = null;
    if (msg.covered === msg.from) return; // the replier owns none of it: the retry timer asks again
    const back = classOffset(this.ids, this.config.replication, cls.shift);
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
   * The parts of the repaired range that enough classes have answered from trusted sources are synced
   * now, with the items read — only where this repair's own gaps still are (U8): a part handed away, or
   * settled by a late hand-over, or awaiting a hand-over added since, is not this repair's to settle. The
   * rest waits (retried by the timer). Where a majority of a key's replicas lost their data, this waits for
   * ever: such a key answers with a clear error, never with what might be a stale value.
   */
  private finishIfDone(repair: Repair): void {
    if (!this.sync.hasRepair(repair.id)) {
      this.drop(repair.id); // settled otherwise, or handed away (U9)
      return;
    }
    const bad = unsettled(this.ids, this.config.replication, repair.range, repair.classes, this.needed());
    const settled = settledParts(this.ids, repair.range, bad).flatMap((p) =>
      this.sync.repairing(repair.id, p),
    );
    if (settled.length === 0) return;
    for (const item of repair.items.values()) {
      if (
        !this.ring.owns(item.replicaId) ||
        !settled.some((p) => this.ids.inOC(item.replicaId, p.from, p.to))
      )
        continue;
      this.port.put(mergeItems(this.port.get(item.replicaId, item.key), item));
    }
    for (const part of settled) {
      const trusted = fewestTrusted(this.ids, this.config.replication, repair.range, repair.classes, part);
      invariant(
        trusted >= this.needed(),
        "replication: a repaired part is synced only after a majority of its replica classes answered",
        () => `(${part.from}, ${part.to}] synced with ${trusted} trusted classes, ${this.needed()} needed`,
      );
      this.sync.markRepaired(part, repair.id);
    }
    if (this.sync.hasRepair(repair.id)) return;
    this.drop(repair.id);
    this.counters.repairsDone++;
  }

  /**
   * Drops every repair none of whose parts is left unsynced (U9): a late hand-over settled them, or the
   * range went to another node. Their asks are forgotten, so a late reply changes nothing.
   */
  dropSettled(): void {
    for (const id of [...this.repairs.keys()]) if (!this.sync.hasRepair(id)) this.drop(id);
  }

  /** The retry timer: re-reads classes read from doubt, asks again what is unread. */
  onTimeout(repairId: number): void {
    this.takeLateReplies(repairId);
    const repair = this.repairs.get(repairId);
    if (repair === undefined) return;
    // Given up if nothing of it is left to settle: the range is no longer mine, or was settled otherwise.
    if (!this.sync.hasRepair(repairId)) {
      this.drop(repairId);
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

  /** Replies the fault hook held back for this repair arrive now; those whose ask is gone are dropped. */
  private takeLateReplies(repairId: number): void {
    if (this.late.length === 0) return;
    const due = this.late.filter((m) => this.asks.get(m.repair)?.repair === repairId);
    this.late = this.late.filter((m) => this.asks.has(m.repair) && !due.includes(m));
    for (const msg of due) this.takeReply(msg);
  }

  /** Ends a repair, and forgets its asks still in flight (their replies, if any, find nothing). */
  private drop(repairId: number): void {
    this.repairs.delete(repairId);
    for (const [ask, at] of this.asks) if (at.repair === repairId) this.asks.delete(ask);
  }
}
