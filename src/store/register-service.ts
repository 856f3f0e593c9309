// The register at a replica (docs/register.md §1–§3): a node answers regPeek, regRead and regWrite for
// the replica ids it owns, through the pure acceptor of register.ts, and stores what it accepted before
// the reply leaves (persist, then send). Must not break: a node answers only for replica ids it owns and
// serves — in an unsynced part it abstains (docs/replication.md §4) — and a reply names its pred, so the
// proposer learns the replier's whole range.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { compareRounds, emptyItem, ROUND_ZERO, type Round, type StoredItem } from "./item.js";
import { type AcceptorAnswer, acceptRead, acceptWrite, seenRound, stateOf } from "./register.js";
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
    checkRegisterStep(item, msg.type, msg.round, answer);
    if (answer.item !== item) this.port.put(answer.item);
    this.reply(from, msg, answer.ok ? "ok" : answer.locked ? "locked" : "nack", answer.item);
  }

  /** Fault hook: the network delivers the reply twice (the proposer counts each replica once). */
  private reply(to: NodeRef, msg: RegisterRequest, status: ReplyStatus, item: StoredItem | null): void {
    invariant(
      status === "notResponsible" || status === "abstain" || this.sync.serves(msg.replicaId),
      "replication: no register answer from an unsynced range",
      () => `${status} for ${msg.replicaId} (${msg.key}), which this node does not serve`,
    );
    const reply: StoreMessage = {
      type: "regReply",
      op: msg.op,
      replicaId: msg.replicaId,
      status,
      item: item === null ? null : stateOf(item),
      seen: item === null ? ROUND_ZERO : seenRound(item),
      pred: this.ring.pred?.id ?? null,
    };
    this.env.send(to, reply);
    if (this.env.buggify("store.register.reply-twice")) this.env.send(to, reply);
  }

  private isReplicaOf(key: string, replicaId: RingId): boolean {
    return replicaIds(this.ids, this.replication, key).includes(replicaId);
  }
}

const showRound = (r: Round): string => `${r.counter}.${r.proposer}`;

/**
 * The acceptor's rules, checked on what it decided (docs/register.md §1–§3): the read round never
 * decreases, the held write never goes back, and a promise or a write is taken only at a round ≥ the read
 * round and > the write round held. (The version may fall: a higher round may overwrite a write that never
 * reached a majority, with the version its proposer's majority read — what never goes back is the round.)
 */
export function checkRegisterStep(
  before: StoredItem,
  kind: "regRead" | "regWrite",
  round: Round,
  answer: AcceptorAnswer,
): void {
  const after = answer.item;
  invariant(
    compareRounds(after.readRound, before.readRound) >= 0,
    "register: the read round never decreases",
    () =>
      `${kind} ${showRound(round)}: read round ${showRound(before.readRound)} -> ${showRound(after.readRound)}`,
  );
  invariant(
    compareRounds(after.writeRound, before.writeRound) >= 0,
    "register: the held write never goes back",
    () =>
      `${kind} ${showRound(round)}: write round ${showRound(before.writeRound)} -> ${showRound(after.writeRound)}`,
  );
  const taken = kind === "regRead" ? answer.ok : after !== before;
  invariant(
    !taken || (compareRounds(round, before.readRound) >= 0 && compareRounds(round, before.writeRound) > 0),
    "register: a round is taken only if ≥ the read round and > the write round",
    () =>
      `${kind} ${showRound(round)} taken over read ${showRound(before.readRound)}, write ${showRound(before.writeRound)}`,
  );
}
