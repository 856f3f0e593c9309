// Seeded draws for the fuzz tests (docs/api.md §6) on the simulator's splittable PRNG, one independent
// stream per (seed, index), so any single generated case replays from its seed and index alone. Must not
// break: the same seed and index give the same draws on every machine.

import { Prng } from "../../src/sim/engine/prng.js";

/** Draws for the fuzz tests over the simulator's PRNG: one split stream per (seed, index). */
export class SeededRandom {
  private readonly prng: Prng;

  constructor(seed: number, stream: number) {
    this.prng = Prng.fromSeed(seed).split(stream);
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    return this.prng.nextU32();
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.u32() / 4_294_967_296 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** One of the choices, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    let at = this.int(0, total - 1);
    for (const [w, value] of choices) {
      if (at < w) return value;
      at -= w;
    }
    throw new Error("weights do not add up");
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** n characters drawn from `alphabet`. */
  text(n: number, alphabet: string): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }
}
