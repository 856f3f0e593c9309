// A seeded, splittable PRNG for the simulator (sfc32, 128-bit state). `split(label)` derives an
// independent child from the parent's key, not from its stream, so adding a node or a draw in one
// stream never shifts another: one seed decides everything. Every draw is mixed into the trace hash.
import type { TraceHash } from "./trace-hash.js";

const TWO_POW_32 = 0x1_0000_0000;

function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function labelCode(label: string | number): number {
  if (typeof label === "number") return fmix32(label ^ 0x5bd1e995) ^ fmix32(Math.floor(label / TWO_POW_32));
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return fmix32(h ^ label.length);
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly key0: number;
  private readonly key1: number;
  private readonly trace: TraceHash | null;

  private constructor(key0: number, key1: number, trace: TraceHash | null) {
    this.key0 = key0 >>> 0;
    this.key1 = key1 >>> 0;
    this.trace = trace;
    this.a = fmix32(this.key0 ^ 0x9e3779b9);
    this.b = fmix32(this.key1 ^ 0x7f4a7c15);
    this.c = fmix32(this.key0 + this.key1 + 0x6a09e667);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.step();
  }

  /** The root stream for a seed (an integer in [0, 2^53)). */
  static fromSeed(seed: number, trace: TraceHash | null = null): Prng {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
    return new Prng(seed % TWO_POW_32, Math.floor(seed / TWO_POW_32), trace);
  }

  /** An independent child stream named by `label`; the parent's draws are untouched. */
  split(label: string | number, trace: TraceHash | null = this.trace): Prng {
    const [key0, key1] = this.childKey(label);
    return new Prng(key0, key1, trace);
  }

  /** The key of the child named `label`. */
  private childKey(label: string | number): [number, number] {
    const code = labelCode(label);
    return [fmix32(this.key0 ^ code) ^ this.key1, fmix32(this.key1 + Math.imul(code, 0x27d4eb2f))];
  }

  private step(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const x = this.step();
    if (this.trace !== null) this.trace.mix(x);
    return x;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability p. Draws nothing when p is 0 or 1. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Exponential with the given mean (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<X>(items: readonly X[]): X {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)] as X;
  }

  /** Fisher–Yates, in place. */
  shuffle<X>(items: X[]): X[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i] as X;
      items[i] = items[j] as X;
      items[j] = t;
    }
    return items;
  }
}
