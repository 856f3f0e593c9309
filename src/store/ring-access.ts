// What the store and the transactions need of the ring they live on (docs/replication.md §1): who this
// node is, its neighbours, whether it owns an id, and a lookup. The relaxed ring implements it; a rule
// test scripts it. Must not break: owns(id) means id ∈ (pred, self] now, never a range the node only
// used to own.
import type { RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";

export type RingLookupResult = { ok: true; responsible: NodeRef } | { ok: false };

export interface RingAccess {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  owns(id: RingId): boolean;
  lookup(id: RingId, onDone: (result: RingLookupResult) => void): void;
}
