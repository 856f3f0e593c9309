// Which keys ever fell beyond the store's fault tolerance (docs/metrics.md §4): once a second, a key whose
// replica ids are not served by a majority of live, synced owners (in the global view) is marked. A
// replica id counts as held when some member that considers itself its owner serves it: during a
// partition each side has an owner for every id, and the one that kept its data still holds it.
// Such a key may lose acknowledged writes or commits without any protocol being wrong, so the kv and
// tx workloads report those keys and excuse them from their loss and consistency checks. Also the
// global-view lookups both workloads share: a replica id's owner, and the node a client uses.
import type { RingId } from "../core/id-space.js";
import type { NodeMessage, NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import { replicaIds } from "../store/replicas.js";
import type { Prng } from "./engine/prng.js";
import type { RingRunContext } from "./ring-harness.js";

type Ctx = RingRunContext<NodeMessage, NodeTimer>;

export class ReplicaTolerance {
  private readonly keys: readonly string[];
  private readonly replication: number;
  private replicasOf: (readonly RingId[])[] = [];
  /** Indexes (into keys) of the keys that were beyond tolerance at some check. */
  readonly beyond = new Set<number>();

  constructor(keys: readonly string[], replication: number) {
    this.keys = keys;
    this.replication = replication;
  }

  /** Checks once a second from now to the end of the run. */
  start(ctx: Ctx): void {
    this.replicasOf = this.keys.map((key) => replicaIds(ctx.sim.ids, this.replication, key));
    ctx.sim.every(1000, ctx.endMs, () => this.check(ctx));
  }

  replicaIdsOf(key: number): readonly RingId[] {
    return this.replicasOf[key] ?? [];
  }

  private check(ctx: Ctx): void {
    const majority = Math.floor(this.replication / 2) + 1;
    this.replicasOf.forEach((ids, k) => {
      const serving = ids.filter((id) => heldBySomeOwner(ctx, id)).length;
      if (serving < majority) this.beyond.add(k);
    });
  }
}

/** Whether a live member that considers itself `id`'s owner serves it (has its data, synced). */
function heldBySomeOwner(ctx: Ctx, id: RingId): boolean {
  return ctx.members.responsibleFor(id).some((view) => nodeOf(ctx, view)?.replicas.serves(id) === true);
}

/** The running node behind a member's view. */
function nodeOf(ctx: Ctx, view: { readonly self: { readonly addr: string } }): SelfmanNode | null {
  const index = ctx.sim.nodeByAddr(view.self.addr)?.index;
  return index === undefined ? null : (ctx.processOf(index) as SelfmanNode | null);
}

/** The live member that owns `id` now (in the global view), if exactly one does. */
export function ownerOf(ctx: Ctx, id: RingId): SelfmanNode | null {
  const owners = ctx.members.responsibleFor(id);
  const [owner] = owners;
  return owners.length === 1 && owner !== undefined ? nodeOf(ctx, owner) : null;
}

/**
 * The node a workload client uses: the one it had while that is still a ring member, else a member
 * chosen with `rng` (its index goes into `client.node`); null when no member can be found.
 */
export function clientNode(ctx: Ctx, rng: Prng, client: { node: number | null }): SelfmanNode | null {
  const held = client.node === null ? null : (ctx.processOf(client.node) as SelfmanNode | null);
  if (held?.isMember) return held;
  const member = ctx.randomMember(rng);
  const index = member === undefined ? undefined : ctx.sim.nodeByAddr(member.self.addr)?.index;
  client.node = index ?? null;
  return index === undefined ? null : (ctx.processOf(index) as SelfmanNode | null);
}
