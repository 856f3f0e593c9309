// What a relaxed-ring node tells the layers above it (docs/relaxed-ring.md §1): every change of its
// predecessor, with the reason, for the store that keeps data per range (docs/replication.md §3).
// The causes are part of the contract: a new one needs a case in every hook.
import type { NodeRef } from "../core/node-ref.js";

/**
 * Why the predecessor changed: `first` — the ring's first node owns it all; `joined` — this node
 * joined (its successor hands it its range); `joiner` — it took a joiner (its range shrank); `fix` —
 * it took a fixer (shrank, or grew behind a lost pred); `leave` — its pred left gracefully (grew; the
 * leaver hands over); `alone` — it owns the whole ring again; `unknown` — its pred is unknown
 * (responsible for nothing).
 */
export type PredChangeCause = "first" | "joined" | "joiner" | "fix" | "leave" | "alone" | "unknown";

export interface RingHooks {
  /** Called after every change of pred, before the handler goes on. */
  onPredChange?(old: NodeRef | null, pred: NodeRef | null, cause: PredChangeCause): void;
}
