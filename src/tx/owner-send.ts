// Sending to the owner of a replica id (docs/transactions.md §5): `txPrepare` and `txFinal` go straight
// to the owner the read phase cached, else through the overlay's lookup; a TP that no longer owns the
// id answers `txMisrouted` and the sender forgets that owner. Acceptors are addressed by index. Must not
// break: a cached owner is only a shortcut — the receiving TP's own ownership check decides, and a
// `txMisrouted` makes the sender forget that owner; it is never taken as an answer.
import type { Env } from "../core/env.js";
import type { RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { OwnerCache } from "../store/owner-cache.js";
import type { RingAccess } from "../store/ring-access.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";

export class OwnerSender {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ring: RingAccess;
  private readonly owners: OwnerCache;

  constructor(env: Env<TxMessage, TxTimer>, ring: RingAccess, owners: OwnerCache) {
    this.env = env;
    this.ring = ring;
    this.owners = owners;
  }

  /** To the owner of a replica id: the cached one, else whoever the overlay says is responsible. */
  send(replicaId: RingId, msg: TxMessage, useCache: boolean): void {
    const owner = useCache ? this.owners.find(replicaId) : null;
    if (owner !== null) {
      this.env.send(owner, msg);
      return;
    }
    this.ring.lookup(replicaId, (result) => {
      if (result.ok) this.env.send(result.responsible, msg);
    });
  }

  /** `node` said it does not own what was sent to it: look it up next time. */
  forget(node: NodeRef): void {
    this.owners.forget(node);
  }
}

/** Sends to acceptor `index` of `tx` (through the runtime even when that is this node: no re-entry). */
export function sendToAcceptor(
  env: Env<TxMessage, TxTimer>,
  tx: TxState,
  index: number,
  msg: TxMessage,
): void {
  const to = tx.acceptors[index];
  if (to !== undefined) env.send(to, msg);
}
