// The trace hash (docs/metrics.md §6, docs/simulator.md §6): a 64-bit running hash over every delivered or
// dropped message, every timer that fires and every random draw. Same seed ⇒ same hash, in any process; one
// changed draw changes it. Two 32-bit lanes with multiply–rotate mixing: fast, not cryptographic.

import { isSimRef } from "./sim-refs.js";

const floatView = new Float64Array(1);
const floatWords = new Uint32Array(floatView.buffer);
const stringCodes = new Map<string, number>();
const STRING_CACHE_MAX = 200_000;

function stringCode(text: string): number {
  const cached = stringCodes.get(text);
  if (cached !== undefined) return cached;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = (h ^ text.length) >>> 0;
  if (stringCodes.size < STRING_CACHE_MAX) stringCodes.set(text, h);
  return h;
}

/** Writing a bigint here keeps its low 64 bits (mod 2^64); the 32-bit view reads them without a bigint. */
const wordsOfBigint = new BigUint64Array(1);
const wordView = new Uint32Array(wordsOfBigint.buffer);
/** Which 32-bit word of the view holds the low half (0 on little-endian machines). */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** The low 32 bits of `n` (BigInt.asUintN(32, n)), read without allocating. */
function low32(n: bigint): number {
  wordsOfBigint[0] = n;
  return wordView[LOW_WORD] as number;
}

/**
 * A 32-bit digest of a bigint from two of its 32-bit words: bits 0–31 and 64–95. Ids and keys are
 * uniform at random, so two words tell them apart; a full walk allocated four bigints per id and
 * dominated the ring simulations.
 */
function bigintCode(n: bigint): number {
  const low = low32(n);
  const high = n >= 0x1_0000_0000_0000_0000n || n < 0n ? low32(n >> 64n) : 0;
  return Math.imul(low ^ 0x2b, 0x9e3779b1) ^ Math.imul(high, 0x85ebca6b);
}

function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class TraceHash {
  private h1 = 0x243f6a88;
  private h2 = 0x85a308d3;
  /** How many words went in; part of the digest, so dropping a word is seen. */
  private words = 0;

  /** Mixes one 32-bit word. */
  mix(word: number): void {
    const x = word | 0;
    let h1 = Math.imul(this.h1 ^ x, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    this.h1 = Math.imul(h1, 5) + 0xe6546b64;
    let h2 = Math.imul(this.h2 + x, 0x85ebca77);
    h2 = (h2 << 17) | (h2 >>> 15);
    this.h2 = h2 ^ Math.imul(this.h1, 0xc2b2ae3d);
    this.words++;
  }

  mixNumber(n: number): void {
    if ((n | 0) === n) {
      this.mix(n);
      return;
    }
    floatView[0] = n;
    this.mix(floatWords[0] ?? 0);
    this.mix(floatWords[1] ?? 0);
  }

  mixString(text: string): void {
    this.mix(stringCode(text));
  }

  mixBigint(n: bigint): void {
    this.mix(bigintCode(n));
  }

  /** Mixes a plain-data value structurally (message payloads, timer tags). */
  mixValue(value: unknown): void {
    switch (typeof value) {
      case "number":
        this.mixNumber(value);
        return;
      case "string":
        this.mixString(value);
        return;
      case "bigint":
        this.mixBigint(value);
        return;
      case "boolean":
        this.mix(value ? 0x7101 : 0x7100);
        return;
      case "undefined":
        this.mix(0x7102);
        return;
      case "object":
        this.mixObject(value);
        return;
      default:
        this.mixString(typeof value);
    }
  }

  private mixObject(value: object | null): void {
    if (value === null) {
      this.mix(0x7103);
    } else if (isSimRef(value)) {
      // A simulator NodeRef (the common case, tested first): as the simIndex branch below does.
      this.mix(0x7106 ^ value.simIndex);
      this.mixNumber(value.nonce);
    } else if (Array.isArray(value)) {
      this.mix(0x7104 ^ value.length);
      for (const item of value) this.mixValue(item);
    } else if (value instanceof Uint8Array) {
      this.mix(0x7105 ^ value.length);
      for (const byte of value) this.mix(byte);
    } else if (typeof (value as { simIndex?: unknown }).simIndex === "number") {
      // A simulator NodeRef: its index and nonce determine its id and address.
      const ref = value as { simIndex: number; nonce: number };
      this.mix(0x7106 ^ ref.simIndex);
      this.mixNumber(ref.nonce);
    } else {
      // Field values in key order; the names follow from `type`, so they are not hashed.
      for (const key in value) this.mixValue((value as Record<string, unknown>)[key]);
    }
  }

  /** The hash so far, as 16 hex digits. */
  hex(): string {
    const a = fmix32(this.h1 ^ this.words);
    const b = fmix32(this.h2 ^ Math.imul(this.words, 0x27d4eb2f));
    return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
  }
}
