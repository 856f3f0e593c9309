// The simulator's global view of a ring (docs/metrics.md §3): the live ring members sorted by id, kept up
// to date from the nodes' `joined`/`range-changed` events and crashes, so the checkers can ask "who
// considers itself responsible for k" without scanning every node. Observes only; changes nothing.
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { RingView } from "../overlay/ring-view.js";

/** How far past the first member at or after a key we look for ranges that reach back over it. */
const OVERLAP_SCAN = 32;

export class RingMembers {
  private readonly ids: IdSpace;
  /** Member ids, ascending, and the view of each (same order). */
  private sortedIds: RingId[] = [];
  private sortedViews: RingView[] = [];
  private readonly byAddr = new Map<string, RingView>();

  constructor(ids: IdSpace) {
    this.ids = ids;
  }

  get size(): number {
    return this.sortedIds.length;
  }

  views(): readonly RingView[] {
    return this.sortedViews;
  }

  has(ref: NodeRef): boolean {
    return this.byAddr.get(ref.addr)?.self.nonce === ref.nonce;
  }

  viewOf(addr: string): RingView | undefined {
    return this.byAddr.get(addr);
  }

  /** Adds or removes `view` according to whether it is a ring member now. */
  update(view: RingView, alive: boolean): void {
    const member = alive && view.isMember;
    const known = this.byAddr.get(view.self.addr);
    if (known !== undefined && (!member || known !== view)) this.remove(known);
    if (member && known !== view) this.insert(view);
  }

  remove(view: RingView): void {
    if (this.byAddr.get(view.self.addr) !== view) return;
    this.byAddr.delete(view.self.addr);
    const at = this.indexOf(view.self.id);
    if (this.sortedViews[at] === view) {
      this.sortedIds.splice(at, 1);
      this.sortedViews.splice(at, 1);
    } else {
      const i = this.sortedViews.indexOf(view);
      this.sortedIds.splice(i, 1);
      this.sortedViews.splice(i, 1);
    }
  }

  private insert(view: RingView): void {
    const at = this.indexOf(view.self.id);
    this.sortedIds.splice(at, 0, view.self.id);
    this.sortedViews.splice(at, 0, view);
    this.byAddr.set(view.self.addr, view);
  }

  /** First index with id ≥ `id` (may equal size). */
  private indexOf(id: RingId): number {
    let lo = 0;
    let hi = this.sortedIds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sortedIds[mid] as RingId) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The member at or after `id`, clockwise, `steps` members further on. */
  private at(id: RingId, steps: number): RingView | undefined {
    const n = this.sortedViews.length;
    if (n === 0) return undefined;
    return this.sortedViews[(this.indexOf(id) + steps) % n];
  }

  considersResponsible(view: RingView, key: RingId): boolean {
    return view.pred !== null && view.isMember && this.ids.inOC(key, view.pred.id, view.self.id);
  }

  /**
   * Whether `ref` is the one and only member responsible for `key` (a consistent answer, docs/metrics.md §3).
   */
  isSoleOwner(key: RingId, ref: NodeRef): boolean {
    const owners = this.responsibleFor(key);
    return owners.length === 1 && owners[0]?.self.addr === ref.addr;
  }

  /** The members whose range (pred, self] holds `key` (bounded scan, see OVERLAP_SCAN). */
  responsibleFor(key: RingId): RingView[] {
    const found: RingView[] = [];
    const n = Math.min(this.sortedViews.length, OVERLAP_SCAN);
    for (let step = 0; step < n; step++) {
      const view = this.at(key, step);
      if (view !== undefined && this.considersResponsible(view, key)) found.push(view);
    }
    return found;
  }

  /** Members with ids strictly inside (a, b). */
  between(a: RingId, b: RingId, limit = OVERLAP_SCAN): RingView[] {
    const out: RingView[] = [];
    const n = this.sortedViews.length;
    for (let step = 0; step < Math.min(n, limit); step++) {
      const view = this.at(this.ids.add(a, 1n), step);
      if (view === undefined || !this.ids.inOO(view.self.id, a, b)) break;
      out.push(view);
    }
    return out;
  }

  /** The most members responsible for one key among the keys `view`'s range can overlap on. */
  maxOverlapAround(view: RingView): number {
    if (view.pred === null || !view.isMember) return 0;
    let max = this.responsibleFor(view.self.id).length;
    for (const inside of this.between(view.pred.id, view.self.id)) {
      max = Math.max(max, this.responsibleFor(inside.self.id).length);
    }
    return max;
  }
}
