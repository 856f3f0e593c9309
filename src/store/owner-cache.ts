// Which node owns a replica id, as far as this node has seen (a register reply names the replier's
// predecessor, so its whole range is learned at once). Register requests go straight to the cached
// owner; a wrong guess answers notResponsible and is evicted, and a miss asks the overlay (lookup).
// Sorted by owner id: a lookup is a binary search.
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";

interface Owner {
  readonly ref: NodeRef;
  readonly pred: RingId;
}

export class OwnerCache {
  private readonly ids: IdSpace;
  private owners: Owner[] = [];
  private readonly limit: number;

  constructor(ids: IdSpace, limit = 4096) {
    this.ids = ids;
    this.limit = limit;
  }

  /** The owner of `id`, if a cached range (pred, owner] holds it. */
  find(id: RingId): NodeRef | null {
    const n = this.owners.length;
    if (n === 0) return null;
    const at = this.firstAtOrAfter(id) % n;
    const owner = this.owners[at] as Owner;
    return this.ids.inOC(id, owner.pred, owner.ref.id) ? owner.ref : null;
  }

  /** `ref` says it owns (pred, ref.id]; replaces what was known of that node and any overlap. */
  learn(ref: NodeRef, pred: RingId): void {
    this.owners = this.owners.filter(
      (o) =>
        o.ref.addr !== ref.addr &&
        !this.ids.inOC(o.ref.id, pred, ref.id) &&
        !this.ids.inOC(ref.id, o.pred, o.ref.id),
    );
    if (this.owners.length >= this.limit) this.owners.shift();
    const at = this.firstAtOrAfter(ref.id);
    this.owners.splice(at, 0, { ref, pred });
  }

  forget(ref: NodeRef): void {
    this.owners = this.owners.filter((o) => o.ref.addr !== ref.addr);
  }

  private firstAtOrAfter(id: RingId): number {
    let lo = 0;
    let hi = this.owners.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.owners[mid] as Owner).ref.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
