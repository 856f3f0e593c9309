// Ring identifiers and intervals on Z_N with N = 2^m (docs/architecture.md §7).
// These helpers are the only way code compares positions on the ring: a plain `<` on ids is wrong
// wherever an interval wraps through 0. Ids are bigints everywhere, for every m.

/** A position on the identifier ring, in [0, 2^m). */
export type RingId = bigint;

const DEFAULT_ID_BITS = 128;

/** The identifier space Z_N, N = 2^m, with the interval arithmetic of docs/architecture.md §7. */
export class IdSpace {
  readonly m: number;
  readonly size: bigint;
  readonly mask: bigint;

  constructor(m: number = DEFAULT_ID_BITS) {
    if (!Number.isInteger(m) || m < 1 || m > 256) {
      throw new RangeError(`id bits m must be an integer in [1, 256], got ${m}`);
    }
    this.m = m;
    this.size = 1n << BigInt(m);
    this.mask = this.size - 1n;
  }

  /** Clockwise distance from a to b: (b - a) mod N. */
  dist(a: RingId, b: RingId): bigint {
    return (b - a) & this.mask;
  }

  // The interval tests compare only (no bigint arithmetic, so no allocation): they run on every
  // routing decision and every message in the simulator's hottest loops.

  /** x ∈ (a, b]. The degenerate (a, a] is the whole ring (a lone node owns every key). */
  inOC(x: RingId, a: RingId, b: RingId): boolean {
    if (a < b) return a < x && x <= b;
    if (a > b) return x > a || x <= b;
    return true;
  }

  /** x ∈ (a, b). The degenerate (a, a) is the whole ring except a. */
  inOO(x: RingId, a: RingId, b: RingId): boolean {
    if (a < b) return a < x && x < b;
    if (a > b) return x > a || x < b;
    return x !== a;
  }

  /** x ∈ [a, b). The degenerate [a, a) is the whole ring. */
  inCO(x: RingId, a: RingId, b: RingId): boolean {
    if (a < b) return a <= x && x < b;
    if (a > b) return x >= a || x < b;
    return true;
  }

  /** (a + d) mod N; d may be negative. */
  add(a: RingId, d: bigint): RingId {
    return (a + d) & this.mask;
  }

  contains(x: RingId): boolean {
    return x >= 0n && x <= this.mask;
  }

  /** A uniformly random id, from a source of uniform floats in [0, 1) (Env.random or a sim PRNG). */
  randomId(random: () => number): RingId {
    let id = 0n;
    for (let bits = 0; bits < this.m; bits += 32) {
      id = (id << 32n) | BigInt(Math.floor(random() * 0x1_0000_0000));
    }
    return id & this.mask;
  }

  /** Parse a decimal (or 0x-prefixed hex) id, as ids travel in JSON and on the command line. */
  parse(text: string): RingId {
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text))
      throw new SyntaxError(`not a ring id: ${JSON.stringify(text)}`);
    const id = BigInt(text);
    if (!this.contains(id)) throw new RangeError(`ring id ${text} is outside [0, 2^${this.m})`);
    return id;
  }
}
