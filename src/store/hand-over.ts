// Hand-over on join and leave (docs/replication.md §3): when a node's range shrinks (a joiner, or a closer
// pred) it sends the items it lost to the new owner, resends until acknowledged, and deletes them only after
// the ack; a graceful leaver sends everything to its successor. The receiver keeps the range unsynced until
// the items arrive, and repairs it if they do not within handoverWaitMs. Must not break: the sender keeps its
// copy until the ack, the receiver repairs whatever the sender itself had incomplete (the `gaps`), and a
// hand-over received counts only for what has not been handed on since it came (H12).
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import { type NodeRef, samePeer } from "../core/node-ref.js";
import { mergeItems } from "./item.js";
import type { RangeRepair } from "./repair.js";
import type { RingAccess } from "./ring-access.js";
import { type Interval, intersect, subtract } from "./ring-intervals.js";
import { HANDOVER_ATTEMPTS, type StoreCounters } from "./store-config.js";
import type { StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";
import type { UnsyncedRanges } from "./unsynced-ranges.js";

type MessageOf<T extends StoreMessage["type"]> = Extract<StoreMessage, { type: T }>;

/** Hand-overs received lately, so one that arrives before the range change is not waited for. */
const RECEIVED_MAX = 64;

export interface HandOverConfig {
  readonly replication: number;
  /** A hand-over that has not arrived after this is given up for a repair. */
  readonly handoverWaitMs: number;
}

/**
 * A hand-over not yet acknowledged: what, to whom, and where my own data was incomplete when it left —
 * fixed then, because my range has shrunk by the time of a resend and my unsynced parts there are gone.
 */
interface Transfer {
  readonly range: Interval;
  readonly to: NodeRef;
  readonly gaps: readonly Interval[];
}

/**
 * A hand-over received: the sender (the incarnation) and its transfer id, the parts of its range not handed
 * on since it came (H12: only those may stand in for a hand-over expected later, or be settled by a resend),
 * and the parts its sender had incomplete.
 */
interface Received {
  readonly transfer: number;
  readonly from: NodeRef;
  parts: Interval[];
  readonly gaps: readonly Interval[];
}

/** Parts I handed over incomplete (acknowledged), to pass on if their data reaches me late. */
interface PassedOn {
  readonly to: NodeRef;
  parts: Interval[];
}

export class HandOver {
  private readonly env: Env<StoreMessage, StoreTimer>;
  private readonly ids: IdSpace;
  private readonly config: HandOverConfig;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly sync: UnsyncedRanges;
  private readonly repair: RangeRepair;
  private readonly counters: StoreCounters;
  private readonly newId: () => number;
  /** Outgoing hand-overs not yet acknowledged (resent a few times; the items stay until then). */
  private readonly transfers = new Map<number, Transfer>();
  private readonly received: Received[] = [];
  private passedOn: PassedOn[] = [];

  constructor(
    env: Env<StoreMessage, StoreTimer>,
    ids: IdSpace,
    config: HandOverConfig,
    port: StorePort,
    ring: RingAccess,
    sync: UnsyncedRanges,
    repair: RangeRepair,
    counters: StoreCounters,
    newId: () => number,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.port = port;
    this.ring = ring;
    this.sync = sync;
    this.repair = repair;
    this.counters = counters;
    this.newId = newId;
  }

  // ---- sending ------------------------------------------------------------------------------------

  /**
   * Sends the items of `range` to `to`, until acknowledged or HANDOVER_ATTEMPTS sends. A transfer in flight
   * that overlaps it is stale — the range came back to me since, so its receiver no longer owns it — and
   * is dropped: its late ack must not delete items this transfer still has to resend.
   */
  send(range: Interval, to: NodeRef): void {
    for (const [id, t] of this.transfers)
      if (intersect(this.ids, t.range, range).length > 0) this.transfers.delete(id);
    this.lost(range);
    this.passedOn = this.passedOn.filter((p) => {
      p.parts = p.parts.flatMap((part) => subtract(this.ids, part, range));
      return p.parts.length > 0;
    });
    for (const piece of this.pieces(range)) {
      for (const [id, t] of this.transfers)
        invariant(
          intersect(this.ids, t.range, piece).length === 0,
          "replication: two hand-overs in flight never cover the same id",
          () =>
            `(${piece.from}, ${piece.to}] to ${to.addr} overlaps transfer ${id} (${t.range.from}, ${t.range.to}] to ${t.to.addr}`,
        );
      const transfer = this.newId();
      this.transfers.set(transfer, { range: piece, to, gaps: this.sync.within(piece) });
      this.sendTransfer(transfer, 1);
    }
  }

  /**
   * The range, or (fault hook) its two halves as two transfers, each acked on its own: what two joins in a
   * row would send. The receiver settles each half as it comes.
   */
  private pieces(range: Interval): Interval[] {
    if (!this.env.buggify("store.handover.split")) return [range];
    const width = range.from === range.to ? this.ids.size : this.ids.dist(range.from, range.to);
    if (width < 2n) return [range];
    const middle = this.ids.add(range.from, width / 2n);
    return [
      { from: range.from, to: middle },
      { from: middle, to: range.to },
    ];
  }

  /** The resend timer of a transfer. */
  onResend(transfer: number, attempt: number): void {
    this.sendTransfer(transfer, attempt);
  }

  private sendTransfer(transfer: number, attempt: number): void {
    const pending = this.transfers.get(transfer);
    if (pending === undefined) return;
    if (attempt > HANDOVER_ATTEMPTS) {
      this.transfers.delete(transfer); // the receiver repairs instead; my copy stays until cleaned up
      return;
    }
    this.transmit(transfer, pending);
    this.env.setTimer(this.config.handoverWaitMs / (HANDOVER_ATTEMPTS + 1), {
      type: "handoverResend",
      transfer,
      attempt: attempt + 1,
    });
  }

  private transmit(transfer: number, { range, to, gaps }: Transfer): void {
    const items = this.port.range(range.from, range.to);
    this.counters.handoversSent++;
    this.counters.handoverItems += items.length;
    this.env.send(to, { type: "handover", transfer, from: range.from, to: range.to, items, gaps });
  }

  /** The new owner has the data: what I no longer own in the range may go. */
  onAck(msg: MessageOf<"handoverAck">): void {
    const transfer = this.transfers.get(msg.transfer);
    if (transfer === undefined) return;
    this.transfers.delete(msg.transfer);
    const range = transfer.range;
    if (transfer.gaps.length > 0) {
      this.passedOn.push({ to: transfer.to, parts: [...transfer.gaps] });
      if (this.passedOn.length > RECEIVED_MAX) this.passedOn.shift();
    }
    this.sync.forget(range);
    for (const item of this.port.range(range.from, range.to))
      if (!this.ring.owns(item.replicaId)) this.port.delete(item.replicaId, item.key);
  }

  // ---- receiving ----------------------------------------------------------------------------------

  /**
   * `range` is no longer mine (handed on, or my pred is gone): a hand-over received for it no longer
   * vouches for it. Were the range to come back, its new owner meanwhile may have taken writes there; only
   * a hand-over from that owner, or a repair, makes it complete again (H12).
   */
  lost(range: Interval): void {
    for (const got of this.received) got.parts = got.parts.flatMap((p) => subtract(this.ids, p, range));
  }

  /**
   * A hand-over of `range` is due from `source`; until it arrives the range is unsynced. One that came
   * early counts only if `source` sent it (H7, H12): another sender's, received while the range was not
   * mine, lacks what `source` took meanwhile.
   */
  expect(range: Interval, source: NodeRef | null): void {
    let missing = [range];
    for (const got of this.received) {
      if (source === null || !samePeer(got.from, source)) continue;
      missing = missing.flatMap((m) =>
        got.parts.reduce((rest, p) => rest.flatMap((r) => subtract(this.ids, r, p)), [m]),
      );
      // What the sender had incomplete, I must repair (or take from it, should it pass the data on late).
      for (const gap of got.gaps)
        for (const part of got.parts.flatMap((p) => intersect(this.ids, gap, p)))
          for (const mine of intersect(this.ids, part, range)) this.repair.start(mine, got.from);
    }
    for (const part of missing) {
      if (source === null || this.config.replication <= 1) {
        this.repair.start(part);
        continue;
      }
      this.sync.awaitHandover(part, source);
      this.env.setTimer(this.waitMs(), { type: "handoverWait", from: part.from, to: part.to });
    }
  }

  /**
   * How long a hand-over is waited for. Fault hook: only until its last resend is sent — the edge of the
   * bound, as if every send were delayed past it — so the hand-over may come after the repair started.
   */
  private waitMs(): number {
    const wait = this.config.handoverWaitMs;
    if (!this.env.buggify("store.handover.wait-edge")) return wait;
    return (wait * (HANDOVER_ATTEMPTS - 1)) / (HANDOVER_ATTEMPTS + 1);
  }

  onHandover(from: NodeRef, msg: MessageOf<"handover">): void {
    for (const item of msg.items) this.port.put(mergeItems(this.port.get(item.replicaId, item.key), item));
    const range: Interval = { from: msg.from, to: msg.to };
    this.acknowledge(from, msg.transfer);
    // A resend of a transfer taken before vouches only for what I have not handed on since (H12): the
    // owner I gave a part to may have taken writes there that this copy lacks.
    const seen = this.received.find((r) => r.transfer === msg.transfer && samePeer(r.from, from));
    const fresh = seen === undefined ? [range] : seen.parts;
    if (seen === undefined) {
      this.received.push({ transfer: msg.transfer, from, parts: [range], gaps: msg.gaps });
      if (this.received.length > RECEIVED_MAX) this.received.shift();
    }
    const awaited = fresh.flatMap((part) => this.sync.settleHandover(part, from));
    // Where the sender's own data was incomplete (it was repairing, or awaiting a hand-over), I repair.
    for (const gap of msg.gaps)
      for (const part of awaited.flatMap((a) => intersect(this.ids, a.range, gap)))
        this.repair.start(part, from);
    const complete = msg.gaps.reduce<Interval[]>(
      (parts, gap) => parts.flatMap((p) => subtract(this.ids, p, gap)),
      fresh,
    );
    for (const part of complete) this.sync.settleRelayed(part, from);
    this.repair.dropSettled();
    this.passOnLate(complete);
    this.sync.recordIfSynced();
  }

  /**
   * Data that reached me complete for parts I had handed over incomplete goes on to whom I gave them:
   * a transfer still in flight is sent again with fewer gaps, an acknowledged one gets a new transfer.
   * Without this a chain of joins strands the data here, and the receivers — each repairing, each
   * untrusted by the other's repair — can wait on each other for ever.
   */
  private passOnLate(complete: readonly Interval[]): void {
    const known = (gaps: readonly Interval[]) =>
      gaps.flatMap((g) =>
        complete.reduce<Interval[]>((parts, c) => parts.flatMap((p) => subtract(this.ids, p, c)), [g]),
      );
    for (const [id, t] of this.transfers) {
      const gaps = known(t.gaps);
      if (gaps.length === t.gaps.length && gaps.every((g, i) => sameInterval(g, t.gaps[i]))) continue;
      const updated: Transfer = { ...t, gaps };
      this.transfers.set(id, updated);
      this.transmit(id, updated);
    }
    const pred = this.ring.pred;
    const mine: Interval | null = pred === null ? null : { from: pred.id, to: this.ring.self.id };
    const forwards: { part: Interval; to: NodeRef }[] = [];
    for (const p of this.passedOn) {
      const late = p.parts
        .flatMap((part) => complete.flatMap((c) => intersect(this.ids, part, c)))
        .flatMap((part) => (mine === null ? [part] : subtract(this.ids, part, mine)));
      if (late.length === 0) continue;
      p.parts = known(p.parts);
      for (const part of late) forwards.push({ part, to: p.to });
    }
    this.passedOn = this.passedOn.filter((p) => p.parts.length > 0);
    for (const { part, to } of forwards) this.send(part, to);
  }

  /** The ack; fault hooks: it is lost (the sender resends) or arrives twice (the second finds nothing). */
  private acknowledge(to: NodeRef, transfer: number): void {
    if (this.env.buggify("store.handover.ack-lost")) return;
    this.env.send(to, { type: "handoverAck", transfer });
    if (this.env.buggify("store.handover.ack-twice")) this.env.send(to, { type: "handoverAck", transfer });
  }

  /**
   * The wait for a hand-over ran out: repair what is still awaited instead. Only the hand-over parts are
   * settled — a repair already running inside `range` (the range shrank and grew again meanwhile) stays
   * unsynced — and the claim is not recorded until the repairs replace the wait.
   */
  onWait(range: Interval): void {
    const waiting = this.sync.settleHandover(range, null);
    if (waiting.length === 0) return;
    // Should the awaited hand-over still come (it was only slow), it settles the repair.
    for (const part of waiting) this.repair.start(part.range, part.source);
    this.sync.recordIfSynced();
  }
}

function sameInterval(a: Interval, b: Interval | undefined): boolean {
  return b !== undefined && a.from === b.from && a.to === b.to;
}
