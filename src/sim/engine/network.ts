// The simulated network (docs/simulator.md §2): per-link latency distributions plus jitter, loss,
// duplication, asymmetric link cuts, partitions into groups and a pairwise connectivity filter.
// Decisions draw from the network's own seeded stream. Links are FIFO unless `fifo` is off (then
// jitter reorders). The simulator asks `blocked` both when a message is sent and when it arrives, so
// nothing crosses a cut or a partition, even one that starts while the message is in flight.
import { type LatencySpec, sampleLatency, validateLatency } from "./latency.js";
import type { Prng } from "./prng.js";

export interface NetworkConfig {
  readonly latency: LatencySpec;
  /** Extra uniform delay in [0, jitterMs) per message. */
  readonly jitterMs: number;
  /** Probability that a message is lost, independently per message. */
  readonly loss: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate: number;
  /** Deliver in send order per directed link (TCP-like). */
  readonly fifo: boolean;
}

const DEFAULT_NETWORK: NetworkConfig = {
  latency: { kind: "constant", ms: 10 },
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  fifo: true,
};

export type DropReason = "loss" | "cut" | "partition" | "filter" | "dest-down" | "src-down" | "unknown-dest";

/** Node indices below this; a directed link is the number from·LINK_STRIDE + to. */
const LINK_STRIDE = 2 ** 26;

type LinkFilter = (a: number, b: number) => boolean;

export class Network {
  private config: NetworkConfig;
  private readonly rng: Prng;
  private readonly linkLatency = new Map<number, LatencySpec>();
  private readonly cuts = new Set<number>();
  private groupOf: Int32Array | null = null;
  private filter: LinkFilter | null = null;
  private readonly lastArrival = new Map<number, number>();
  private orderingMatters: boolean;

  constructor(config: Partial<NetworkConfig>, rng: Prng) {
    this.config = { ...DEFAULT_NETWORK, ...config };
    this.rng = rng;
    this.orderingMatters = this.computeOrderingMatters();
    this.validate();
  }

  get settings(): NetworkConfig {
    return this.config;
  }

  reconfigure(change: Partial<NetworkConfig>): void {
    this.config = { ...this.config, ...change };
    this.validate();
    this.orderingMatters = this.computeOrderingMatters();
  }

  setLinkLatency(from: number, to: number, spec: LatencySpec | null): void {
    if (spec === null) this.linkLatency.delete(from * LINK_STRIDE + to);
    else {
      validateLatency(spec);
      this.linkLatency.set(from * LINK_STRIDE + to, spec);
    }
    this.orderingMatters = this.computeOrderingMatters();
  }

  /** Cuts the directed link from → to (asymmetric); `cut(b, a)` too for both ways. */
  cut(from: number, to: number): void {
    this.cuts.add(from * LINK_STRIDE + to);
  }

  restore(from: number, to: number): void {
    this.cuts.delete(from * LINK_STRIDE + to);
  }

  restoreAllLinks(): void {
    this.cuts.clear();
  }

  /** Splits nodes into groups; messages between groups are dropped. Unlisted nodes form one more group. */
  partition(groups: readonly (readonly number[])[], nodeCount: number): void {
    const groupOf = new Int32Array(Math.max(nodeCount, 1)).fill(groups.length);
    groups.forEach((members, g) => {
      for (const node of members) groupOf[node] = g;
    });
    this.groupOf = groupOf;
  }

  heal(): void {
    this.groupOf = null;
  }

  get partitioned(): boolean {
    return this.groupOf !== null;
  }

  /** A static pairwise predicate (e.g. connectivity c): false means the pair cannot talk. */
  setFilter(filter: LinkFilter | null): void {
    this.filter = filter;
  }

  /** Why a message from → to cannot pass right now, or null if the link is up. */
  blocked(from: number, to: number): DropReason | null {
    if (from === to) return null;
    if (this.cuts.size > 0 && this.cuts.has(from * LINK_STRIDE + to)) return "cut";
    const groupOf = this.groupOf;
    if (groupOf !== null && (groupOf[from] ?? -1) !== (groupOf[to] ?? -1)) return "partition";
    if (this.filter !== null && !this.filter(from, to)) return "filter";
    return null;
  }

  /** True if this message is lost (one draw when loss > 0). */
  lose(): boolean {
    return this.config.loss > 0 && this.rng.next() < this.config.loss;
  }

  /** True if this message is delivered a second time. */
  duplicate(): boolean {
    return this.config.duplicate > 0 && this.rng.next() < this.config.duplicate;
  }

  /** The arrival time of a message sent now on from → to. */
  arrival(from: number, to: number, nowMs: number): number {
    if (from === to) return nowMs;
    const spec =
      this.linkLatency.size > 0
        ? (this.linkLatency.get(from * LINK_STRIDE + to) ?? this.config.latency)
        : this.config.latency;
    let delay = sampleLatency(spec, this.rng);
    if (this.config.jitterMs > 0) delay += this.rng.next() * this.config.jitterMs;
    const at = nowMs + delay;
    if (!this.config.fifo || !this.orderingMatters) return at;
    const link = from * LINK_STRIDE + to;
    const last = this.lastArrival.get(link);
    const fifoAt = last !== undefined && last > at ? last : at;
    this.lastArrival.set(link, fifoAt);
    return fifoAt;
  }

  /** With one constant latency and no jitter, send order is arrival order already. */
  private computeOrderingMatters(): boolean {
    return this.config.latency.kind !== "constant" || this.config.jitterMs > 0 || this.linkLatency.size > 0;
  }

  private validate(): void {
    const { loss, duplicate, jitterMs } = this.config;
    validateLatency(this.config.latency);
    if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be in [0, 1], got ${loss}`);
    if (!(duplicate >= 0 && duplicate <= 1))
      throw new RangeError(`duplicate must be in [0, 1], got ${duplicate}`);
    if (!(jitterMs >= 0)) throw new RangeError(`jitterMs must be ≥ 0, got ${jitterMs}`);
  }
}

export const MAX_SIM_NODES = LINK_STRIDE;
