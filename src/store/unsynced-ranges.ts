// A node's unsynced ranges and its recorded claim (docs/replication.md §4, §6): the parts of its range whose
// data is not known to be complete — waiting for a hand-over, or being repaired — and the range recorded on
// disk as complete. Must not break: the node serves no id in an unsynced part, a repair settles only the parts
// it was started for, and the claim is recorded only when nothing is unsynced and shrunk before items are
// deleted, so the disk never claims more than it holds.
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import { type NodeRef, samePeer } from "../core/node-ref.js";
import type { RingAccess } from "./ring-access.js";
import { type Interval, intersect, subtract } from "./ring-intervals.js";
import type { StorePort } from "./store-port.js";

/** Why a part is unsynced: a hand-over is due, or a repair is reading it from the other classes. */
export type GapKind = "handover" | "repair";

export interface Gap {
  readonly range: Interval;
  readonly kind: GapKind;
  /**
   * The node (the incarnation: address and nonce) whose hand-over settles this part: for a hand-over gap,
   * the one it is due from; for a repair gap, one that passed the part on incomplete (or whose hand-over was
   * waited for in vain) and may still pass the data on late (docs/replication.md §3). Null: only the repair
   * settles it.
   */
  readonly source: NodeRef | null;
  /**
   * For a repair gap, the repair that reads it: only that repair's answers settle it (U8 of
   * docs/replication.md §4). Null for a hand-over gap.
   */
  readonly repair: number | null;
}

/** A part of a gap: the same gap, narrowed to `range`. */
const narrowed = (g: Gap, range: Interval): Gap => ({ ...g, range });

const show = (iv: Interval | null): string => (iv === null ? "none" : `(${iv.from}, ${iv.to}]`);

export class UnsyncedRanges {
  private readonly ids: IdSpace;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private gaps: Gap[] = [];
  /** The range recorded on disk as complete (what a restart would trust); never more than is held. */
  private recorded: Interval | null;
  /**
   * After a restart: the range recorded before it, whose items this node offers as a repair source
   * while it repairs (docs/replication.md §6); shrunk as items are given away.
   */
  private restoredClaim: Interval | null;

  constructor(ids: IdSpace, port: StorePort, ring: RingAccess) {
    this.ids = ids;
    this.port = port;
    this.ring = ring;
    this.recorded = port.previousRange;
    this.restoredClaim = port.restored ? port.previousRange : null;
  }

  /** Whether the replica id is mine and its data complete (I take part in its register rounds). */
  serves(id: RingId): boolean {
    return this.ring.owns(id) && !this.gaps.some((g) => this.ids.inOC(id, g.range.from, g.range.to));
  }

  get ranges(): readonly Interval[] {
    return this.gaps.map((g) => g.range);
  }

  get allSynced(): boolean {
    return this.gaps.length === 0;
  }

  /** Whether any unsynced part meets `range`. */
  meets(range: Interval): boolean {
    return this.gaps.some((g) => intersect(this.ids, g.range, range).length > 0);
  }

  /** The unsynced parts of `range`, of either kind (what a hand-over tells its receiver to repair). */
  within(range: Interval): Interval[] {
    return this.gaps.flatMap((g) => intersect(this.ids, g.range, range));
  }

  /**
   * What a repair reply must flag as untrusted in `part`: every unsynced piece, except — after a
   * restart — a piece under repair inside the restored claim, whose items are complete
   * (docs/replication.md §6). Where a hand-over is awaited its sender is the authority (it may have taken
   * writes since).
   */
  untrustedIn(part: Interval): Interval[] {
    const claim = this.restoredClaim;
    return this.gaps.flatMap((g) =>
      intersect(this.ids, g.range, part).flatMap((p) =>
        claim === null || g.kind === "handover" ? [p] : subtract(this.ids, p, claim),
      ),
    );
  }

  /** No predecessor: nothing is mine, so nothing is unsynced. */
  clear(): void {
    this.gaps = [];
  }

  /** `range` awaits a hand-over from `source`. */
  awaitHandover(range: Interval, source: NodeRef): void {
    this.gaps.push({ range, kind: "handover", source, repair: null });
  }

  /** `range` is read by repair `repair` (and settled by it, or by a complete hand-over from `source`). */
  addRepair(range: Interval, repair: number, source: NodeRef | null): void {
    this.gaps.push({ range, kind: "repair", source, repair });
  }

  /** The parts of `range` that repair `repair` still has to settle. */
  repairing(repair: number, range: Interval): Interval[] {
    return this.gaps.flatMap((g) => (g.repair === repair ? intersect(this.ids, g.range, range) : []));
  }

  /** Whether repair `repair` has any part left to settle (none: settled otherwise, or handed away). */
  hasRepair(repair: number): boolean {
    return this.gaps.some((g) => g.repair === repair);
  }

  /** Keeps only the unsynced parts inside `range` (my range now). */
  clip(range: Interval): void {
    this.gaps = this.gaps.flatMap((g) => intersect(this.ids, g.range, range).map((r) => narrowed(g, r)));
  }

  /**
   * Repair `repair` settled `range`: its own parts there are complete now; a hand-over awaited there, or
   * another repair's part, stays unsynced (docs/replication.md §4, U8). Records the claim if nothing is
   * unsynced any more.
   */
  markRepaired(range: Interval, repair: number): void {
    this.gaps = this.gaps.flatMap((g) =>
      g.repair === repair ? subtract(this.ids, g.range, range).map((r) => narrowed(g, r)) : [g],
    );
    this.recordIfSynced();
  }

  /**
   * The hand-over parts of `range` are no longer waited for: `from` handed them over (only the parts
   * awaited from that incarnation — a hand-over from another node, say one sent before the range went to
   * an owner that took writes and handed it back, settles nothing; H12), or, with `from` null, the wait
   * gave up. Returns them. Repair gaps stay (see settleRelayed). Records nothing: the caller starts what
   * replaces the wait first, then records.
   */
  settleHandover(range: Interval, from: NodeRef | null): Gap[] {
    const settles = (g: Gap) => g.kind === "handover" && (from === null || samePeer(g.source, from));
    const awaited = this.gaps
      .filter(settles)
      .flatMap((g) => intersect(this.ids, g.range, range).map((r) => narrowed(g, r)));
    this.gaps = this.gaps.flatMap((g) =>
      settles(g) ? subtract(this.ids, g.range, range).map((r) => narrowed(g, r)) : [g],
    );
    return awaited;
  }

  /**
   * `source` handed over `range` complete: the repair gaps there that wait for its data — from this
   * incarnation of it — are settled (a hand-over passed on late, docs/replication.md §3). Nobody served
   * those ids in between — the source had given them away, and this node abstained — so the data is as
   * complete as when the source sent it.
   * Records nothing.
   */
  settleRelayed(range: Interval, source: NodeRef): void {
    this.gaps = this.gaps.flatMap((g) =>
      g.kind === "repair" && samePeer(g.source, source)
        ? subtract(this.ids, g.range, range).map((r) => narrowed(g, r))
        : [g],
    );
  }

  /** Records my range as complete when it is (what a restart may trust). */
  recordIfSynced(): void {
    const pred = this.ring.pred;
    if (pred === null || this.gaps.length > 0) return;
    this.record({ from: pred.id, to: this.ring.self.id });
  }

  /** Before items of `range` are deleted: no claim on disk or in memory covers them any more. */
  forget(range: Interval): void {
    const shrink = (claim: Interval | null): Interval | null =>
      claim === null ? null : (subtract(this.ids, claim, range).find((p) => p.to === claim.to) ?? null);
    this.record(shrink(this.recorded));
    this.restoredClaim = shrink(this.restoredClaim);
  }

  private record(range: Interval | null): void {
    const same =
      range === null
        ? this.recorded === null
        : range.from === this.recorded?.from && range.to === this.recorded.to;
    if (same) return;
    invariant(
      range === null || this.gaps.length === 0 || this.shrinks(range),
      "replication: the claim grows only when nothing is unsynced",
      () =>
        `recording ${show(range)} over ${show(this.recorded)}, unsynced ${this.gaps.map((g) => show(g.range)).join(" ")}`,
    );
    this.recorded = range;
    this.port.recordRange(range);
  }

  private shrinks(range: Interval): boolean {
    const recorded = this.recorded;
    return recorded !== null && subtract(this.ids, range, recorded).length === 0;
  }
}
