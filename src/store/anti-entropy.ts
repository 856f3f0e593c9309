// Anti-entropy (docs/replication.md §5): now and then a synced node sends a digest of its range to the owner
// of the same range shifted to another replica class; that owner answers with its items in the buckets that
// differ, and the asker merges them (the newer write wins). Must not break: only a node with no unsynced
// part sends a digest, only a synced owner answers one, and a merge never replaces a write by an older one.
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import { bucketOf, digest } from "./digest.js";
import { mergeItems } from "./item.js";
import { replicaIds, shiftRange } from "./replicas.js";
import type { RingAccess } from "./ring-access.js";
import { type Interval, intersect } from "./ring-intervals.js";
import type { StoreMessage, StoreTimer } from "./store-messages.js";
import type { StorePort } from "./store-port.js";
import type { UnsyncedRanges } from "./unsynced-ranges.js";

type MessageOf<T extends StoreMessage["type"]> = Extract<StoreMessage, { type: T }>;

const ANTI_ENTROPY: StoreTimer = { type: "antiEntropy" };

interface AntiEntropyConfig {
  readonly replication: number;
  /** Round period (0: off). */
  readonly antiEntropyMs: number;
}

export class AntiEntropy {
  private readonly env: Env<StoreMessage, StoreTimer>;
  private readonly ids: IdSpace;
  private readonly config: AntiEntropyConfig;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly sync: UnsyncedRanges;

  constructor(
    env: Env<StoreMessage, StoreTimer>,
    ids: IdSpace,
    config: AntiEntropyConfig,
    port: StorePort,
    ring: RingAccess,
    sync: UnsyncedRanges,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.port = port;
    this.ring = ring;
    this.sync = sync;
  }

  /**
   * The first round comes after a jittered half to one and a half periods. Fault hook: at the low edge of
   * that bound, half a period (a node that restarts often then digests early and often).
   */
  start(): void {
    if (this.config.antiEntropyMs <= 0) return;
    const edge = this.env.buggify("store.antientropy.timer-edge");
    const jitter = this.env.random();
    this.env.setTimer(this.config.antiEntropyMs * (0.5 + (edge ? 0 : jitter)), ANTI_ENTROPY);
  }

  onTimer(): void {
    this.sendDigest();
    this.env.setTimer(this.config.antiEntropyMs, ANTI_ENTROPY);
  }

  /** A digest of my range, to the owner of the same range in a random other class. */
  private sendDigest(): void {
    const pred = this.ring.pred;
    const f = this.config.replication;
    if (pred === null || f <= 1 || !this.sync.allSynced || pred.addr === this.ring.self.addr) return;
    const shift = 1 + Math.floor(this.env.random() * (f - 1));
    const range: Interval = { from: pred.id, to: this.ring.self.id };
    const shifted = shiftRange(this.ids, f, range.from, range.to, shift);
    const buckets = digest(this.ids, this.port.range(range.from, range.to), range);
    this.ring.lookup(this.ids.add(shifted.from, 1n), (result) => {
      if (!result.ok) return;
      this.env.send(result.responsible, { type: "digest", from: shifted.from, to: shifted.to, buckets });
    });
  }

  /** Answers with my items in the buckets that differ, if I own a part of the range, all of it synced. */
  onDigest(from: NodeRef, msg: MessageOf<"digest">): void {
    const pred = this.ring.pred;
    if (pred === null) return;
    const asked: Interval = { from: msg.from, to: msg.to };
    const mine = intersect(this.ids, asked, { from: pred.id, to: this.ring.self.id });
    if (mine.some((m) => this.sync.meets(m)) || mine.length === 0) return;
    const items = mine.flatMap((m) => this.port.range(m.from, m.to));
    const buckets = digest(this.ids, items, asked);
    const differ = new Set(buckets.flatMap((b, i) => (b !== msg.buckets[i] ? [i] : [])));
    const newer = items.filter((item) => differ.has(bucketOf(this.ids, item.replicaId, asked)));
    if (newer.length > 0) this.env.send(from, { type: "digestReply", items: newer });
  }

  /** Merges what another class holds into the replica of the same key I serve. */
  onDigestReply(msg: MessageOf<"digestReply">): void {
    const f = this.config.replication;
    for (const item of msg.items) {
      const mine = replicaIds(this.ids, f, item.key).find((r) => this.sync.serves(r));
      if (mine === undefined) continue;
      const current = this.port.get(mine, item.key);
      const merged = mergeItems(current, { ...item, replicaId: mine });
      if (merged !== current) this.port.put(merged);
    }
  }
}
