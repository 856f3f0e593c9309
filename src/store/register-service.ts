// The register at a replica (docs/register.md §1–§3): a node answers regPeek, regRead and regWrite for
// the replica ids it owns, through the pure acceptor of register.ts, and stores what it accepted before
// the reply leaves (persist, then send). Must not break: a node answers only for replica ids it owns and
// serves — in an unsynced part it abstains (docs/replication.md §4) — and a reply names its pred, so the
// proposer learns the replier's whole range.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import { emptyItem, ROUND_ZERO, type StoredItem } from "./item.js";
import { acceptRead, acceptWrite, seenRound, stateOf } from "./register.js";
import { replicaIds } from "./replicas.js";
import type { RingAccess } from "./ring-access.js";
import type { ReplyStatus, StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";
import type { UnsyncedRanges } from "./unsynced-ranges.js";

export type RegisterRequest = Extract<StoreMessage, { type: "regPeek" | "regRead" | "regWrite" }>;

export class RegisterService {
  private readonly env: Env<StoreMessage, StoreTimer>;
  private readonly ids: IdSpace;
  private readonly replication: number;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly sync: UnsyncedRanges;

  constructor(
    env: Env<StoreMessage, StoreTimer>,
    ids: IdSpace,
    replication: number,
    port: StorePort,
    ring: RingAccess,
    sync: UnsyncedRanges,
  ) {
    this.env = env;
    this.ids = ids;
    this.replication = replication;
    this.port = port;
    this.ring = ring;
    this.sync = sync;
  }

  onRequest(from: NodeRef, msg: RegisterRequest): void {
    if (!this.ring.owns(msg.replicaId) || !this.isReplicaOf(msg.key, msg.replicaId)) {
      this.reply(from, msg, "notResponsible", null);
      return;
    }
    if (!this.sync.serves(msg.replicaId)) {
      this.reply(from, msg, "abstain", null);
      return;
    }
    const item = this.port.get(msg.replicaId, msg.key) ?? emptyItem(msg.key, msg.replicaId);
    if (msg.type === "regPeek") {
      this.reply(from, msg, "ok", item);
      return;
    }
    const answer =
      msg.type === "regRead"
        ? acceptRead(item, msg.round)
        : acceptWrite(item, msg.round, msg.value, msg.version, msg.tombstone, msg.writers);
    if (answer.item !== item) this.port.put(answer.item);
    this.reply(from, msg, answer.ok ? "ok" : answer.locked ? "locked" : "nack", answer.item);
  }

  private reply(to: NodeRef, msg: RegisterRequest, status: ReplyStatus, item: StoredItem | null): void {
    this.env.send(to, {
      type: "regReply",
      op: msg.op,
      replicaId: msg.replicaId,
      status,
      item: item === null ? null : stateOf(item),
      seen: item === null ? ROUND_ZERO : seenRound(item),
      pred: this.ring.pred?.id ?? null,
    });
  }

  private isReplicaOf(key: string, replicaId: RingId): boolean {
    return replicaIds(this.ids, this.replication, key).includes(replicaId);
  }
}
