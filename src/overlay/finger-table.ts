// k-ary fingers (docs/routing.md §3.1, DKS): ideal ids self + j·N/k^ℓ; the finger for an ideal id is the
// first known live peer at or after it. Each kept peer is the closest known one in its own ideal slot
// [ideal(ℓ,j), next ideal), so the table holds about (k−1)·log_k(n) peers for n nodes. Beside each
// finger we keep its predecessor and successor when we learn them, so routing can jump straight to a
// key's owner (docs/routing.md §3.3; what it saves: §5).
// Pure data structure: no Env, no messages.
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";

interface Finger {
  readonly ref: NodeRef;
  readonly dist: bigint;
  /** The finger's neighbours as it last told us (null: unknown): pred, succ and the next after it. */
  pred: NodeRef | null;
  succ: NodeRef | null;
  next: readonly NodeRef[];
  /** When the finger itself last answered us (a probe, a routed hop, a finger lookup). */
  heardAtMs: number;
}

const NONE: readonly NodeRef[] = [];

const newFinger = (ref: NodeRef, dist: bigint): Finger => ({
  ref,
  dist,
  pred: null,
  succ: null,
  next: NONE,
  heardAtMs: Number.NEGATIVE_INFINITY,
});

/** N/k^ℓ for ℓ = 1, 2, … while ≥ 1, shared by every node with the same (m, k). */
const spanCache = new Map<string, readonly bigint[]>();

function levelSpans(ids: IdSpace, k: number): readonly bigint[] {
  const key = `${ids.m}:${k}`;
  let spans = spanCache.get(key);
  if (spans === undefined) {
    const list: bigint[] = [];
    for (let span = ids.size / BigInt(k); span >= 1n; span /= BigInt(k)) list.push(span);
    spans = list;
    spanCache.set(key, spans);
  }
  return spans;
}

export class FingerTable {
  private readonly ids: IdSpace;
  private readonly self: RingId;
  private readonly spans: readonly bigint[];
  private readonly k: bigint;
  /** Sorted by distance from self, ascending. */
  private fingers: Finger[] = [];
  /**
   * Number(dist) of each finger, same order. Number() of a bigint is monotonic, so where two of these
   * differ the bigints compare the same way: searches read this array, not the fingers (cold memory
   * at 10^4 simulated nodes), and compare bigints only on a tie.
   */
  private approx = new Float64Array(8);
  private readonly byAddr = new Map<string, Finger>();

  constructor(ids: IdSpace, self: RingId, k: number) {
    if (!Number.isInteger(k) || k < 2)
      throw new RangeError(`finger arity k must be an integer ≥ 2, got ${k}`);
    this.ids = ids;
    this.self = self;
    this.k = BigInt(k);
    this.spans = levelSpans(ids, k);
  }

  /**
   * The ideal ids farther than `beyond` from self, farthest first (what a refresh looks up: nearer
   * ones fall to the successor). Computed on demand: at m = 128 and k = 16 there are 480 in all.
   */
  idealIds(beyond = 0n): RingId[] {
    const out: RingId[] = [];
    for (const span of this.spans) {
      if (span * (this.k - 1n) <= beyond) break;
      for (let j = this.k - 1n; j >= 1n && span * j > beyond; j--)
        out.push(this.ids.add(this.self, span * j));
    }
    return out;
  }

  /** The index in spans of the level whose ideal slots hold distance d, or −1 below the finest level. */
  private levelOf(d: bigint): number {
    const spans = this.spans;
    for (let level = 0; level < spans.length; level++) if (d >= (spans[level] as bigint)) return level;
    return -1;
  }

  /**
   * Where the slot starting at `slot` on `level` ends: a span later, but no later than where the
   * coarser level starts (spans are rounded down, so k·span may fall short of it); below the finest
   * level, at the finest span. Null: no end (no levels at all).
   */
  private slotEnd(level: number, slot: bigint): bigint | null {
    const spans = this.spans;
    if (level < 0) return spans[spans.length - 1] ?? null;
    const next = slot + (spans[level] as bigint);
    const coarser = level === 0 ? this.ids.size : (spans[level - 1] as bigint);
    if (next < coarser) return next;
    return coarser; // bigints: Math.min does not take them
  }

  /**
   * Offers a peer learned anywhere; keeps it if it is the closest known peer of its slot. A slot is
   * [ideal(ℓ, j), ideal(ℓ, j + 1)): j·span to (j + 1)·span at the level of the peer's distance, and
   * [0, finest span) below the finest level.
   */
  offer(ref: NodeRef): void {
    const known = this.byAddr.get(ref.addr);
    if (known !== undefined && known.ref.nonce === ref.nonce) return; // the common case: already a finger
    const d = this.ids.dist(this.self, ref.id);
    if (d === 0n) return;
    const at = this.search(d);
    const existing = this.fingers[at];
    if (existing !== undefined && this.approx[at] === Number(d) && existing.dist === d) {
      if (existing.ref.addr !== ref.addr || existing.ref.nonce !== ref.nonce) {
        this.byAddr.delete(existing.ref.addr);
        this.fingers[at] = this.track(newFinger(ref, d));
      }
      return;
    }
    const level = this.levelOf(d);
    const span = this.spans[level];
    const slot = span === undefined ? 0n : (d / span) * span;
    // a closer peer already serves this slot
    if (at > 0 && this.distAtLeast(at - 1, slot)) return;
    // The fingers from `at` on are farther than d: the next one is in this slot if it is before its end.
    const end = this.slotEnd(level, slot);
    const after = this.fingers[at];
    const replace = after !== undefined && (end === null || !this.distAtLeast(at, end));
    if (replace) this.byAddr.delete(after.ref.addr);
    this.fingers.splice(at, replace ? 1 : 0, this.track(newFinger(ref, d)));
    this.placeApprox(at, replace, Number(d));
  }

  /** fingers[i].dist ≥ v; the finger itself is read only when the doubles tie. */
  private distAtLeast(i: number, v: bigint): boolean {
    const a = this.approx[i] as number;
    const x = Number(v);
    return a > x || (a === x && (this.fingers[i] as Finger).dist >= v);
  }

  /** Mirrors the splice of a finger at distance ≈ x at index `at` (replacing the one there, or not). */
  private placeApprox(at: number, replace: boolean, x: number): void {
    if (!replace) {
      const count = this.fingers.length;
      if (count > this.approx.length) {
        const grown = new Float64Array(2 * this.approx.length);
        grown.set(this.approx);
        this.approx = grown;
      }
      this.approx.copyWithin(at + 1, at, count - 1);
    }
    this.approx[at] = x;
  }

  /** Number(dist) of every finger again, after fingers were removed. */
  private rebuildApprox(): void {
    this.fingers.forEach((f, i) => {
      this.approx[i] = Number(f.dist);
    });
  }

  private track(finger: Finger): Finger {
    this.byAddr.set(finger.ref.addr, finger);
    return finger;
  }

  /**
   * Records what a peer told us its neighbours are (if it is one of our fingers), and offers them:
   * a finger's new predecessor inside its slot is a better finger (docs/routing.md §3.2, F2), so
   * the table heals from ordinary traffic and needs a full refresh only rarely.
   */
  learnNeighbours(
    ref: NodeRef,
    pred: NodeRef | null,
    succ: NodeRef | null,
    next: readonly NodeRef[] | null,
  ): void {
    const finger = this.byAddr.get(ref.addr);
    if (finger === undefined || finger.ref.nonce !== ref.nonce) return;
    const newPred = pred !== null && (finger.pred?.addr !== pred.addr || finger.pred.nonce !== pred.nonce);
    const newSucc = succ !== null && (finger.succ?.addr !== succ.addr || finger.succ.nonce !== succ.nonce);
    finger.pred = pred;
    finger.succ = succ;
    if (next !== null) finger.next = next;
    else if (newSucc) finger.next = NONE;
    if (newPred) this.offer(pred);
    if (newSucc) this.offer(succ);
  }

  /** The finger `ref` answered us just now. */
  heard(ref: NodeRef, nowMs: number): void {
    const finger = this.byAddr.get(ref.addr);
    if (finger !== undefined && finger.ref.nonce === ref.nonce) finger.heardAtMs = nowMs;
  }

  /** Fingers that have not answered us since `sinceMs` (learned from others, or gone quiet). */
  unheardSince(sinceMs: number): NodeRef[] {
    return this.fingers.filter((f) => f.heardAtMs < sinceMs).map((f) => f.ref);
  }

  remove(ref: NodeRef): void {
    if (this.byAddr.delete(ref.addr)) {
      this.fingers = this.fingers.filter((f) => f.ref.addr !== ref.addr);
      this.rebuildApprox();
    }
    for (const f of this.fingers) {
      if (f.succ?.addr === ref.addr) f.succ = null;
      if (f.pred?.addr === ref.addr) f.pred = null;
      if (f.next.some((p) => p.addr === ref.addr)) f.next = NONE;
    }
  }

  /**
   * Where to route `key` (which is not ours): straight to its owner when a finger's known neighbours
   * show it — the first finger at or after the key whose range (pred, finger] holds it, or one of the
   * successors of the finger closest before the key — else to the finger closest before the key.
   */
  nextHop(key: RingId, isUsable: (peer: NodeRef) => boolean): { peer: NodeRef; owner: boolean } | null {
    const dk = this.ids.dist(this.self, key);
    let i = this.search(dk) - 1; // last finger with dist < dk
    const after = this.fingers[i + 1];
    if (after !== undefined && isUsable(after.ref)) {
      if (after.dist === dk) return { peer: after.ref, owner: true };
      if (after.pred !== null && this.ids.inOC(key, after.pred.id, after.ref.id))
        return { peer: after.ref, owner: true };
    }
    for (; i >= 0; i--) {
      const finger = this.fingers[i] as Finger;
      if (!isUsable(finger.ref)) continue;
      const owner = this.ownerAmongSuccessors(finger, key);
      if (owner !== null && isUsable(owner)) return { peer: owner, owner: true };
      return { peer: finger.ref, owner: false };
    }
    return null;
  }

  /** The successor of `finger` (from what it told us) whose range holds `key`, if it told us enough. */
  private ownerAmongSuccessors(finger: Finger, key: RingId): NodeRef | null {
    if (finger.succ === null) return null;
    if (this.ids.inOC(key, finger.ref.id, finger.succ.id)) return finger.succ;
    let before = finger.succ.id;
    for (const next of finger.next) {
      if (this.ids.inOC(key, before, next.id)) return next;
      before = next.id;
    }
    return null;
  }

  refs(): NodeRef[] {
    return this.fingers.map((f) => f.ref);
  }

  /** Fingers that have told us their successor: ring members, as far as we know (a joiner has none). */
  knownMembers(): NodeRef[] {
    return this.fingers.filter((f) => f.succ !== null).map((f) => f.ref);
  }

  /** Distinct peers held: fingers and their successors. */
  peerAddrs(): Set<string> {
    const addrs = new Set<string>();
    for (const f of this.fingers) {
      addrs.add(f.ref.addr);
      if (f.succ !== null) addrs.add(f.succ.addr);
      for (const p of f.next) addrs.add(p.addr);
    }
    return addrs;
  }

  get size(): number {
    return this.fingers.length;
  }

  /** Index of the first finger with dist ≥ d. */
  private search(d: bigint): number {
    const x = Number(d);
    const approx = this.approx;
    let lo = 0;
    let hi = this.fingers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const a = approx[mid] as number;
      if (a < x || (a === x && (this.fingers[mid] as Finger).dist < d)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
