// The scheduler's order (docs/simulator.md §1): a min-heap of handles on (time, seq), where seq is the
// scheduling order the caller numbers, so events at the same virtual time come out in the order they
// were scheduled — the tie-break that makes a run deterministic. A 4-ary heap of plain numbers, (time,
// seq, handle) interleaved in one Float64Array so a slot's children are adjacent: sifting moves numbers,
// never object pointers (no GC write barrier per move). What a handle stands for is the caller's business.

const ARITY = 4;
const STRIDE = 3;

export class TimeHeap {
  /** Slot i holds keys[3i] = time, keys[3i+1] = seq, keys[3i+2] = handle. */
  private keys = new Float64Array(STRIDE * 1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest entry, or +∞ if empty. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.keys[0] as number);
  }

  /** Seq of the earliest entry, or +∞ if empty. */
  peekSeq(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.keys[1] as number);
  }

  /** Adds `handle` at (time, seq); seqs must be distinct. */
  push(handle: number, time: number, seq: number): void {
    if (STRIDE * this.count === this.keys.length) this.grow();
    const keys = this.keys;
    let i = this.count++;
    while (i > 0) {
      const parent = ((i - 1) / ARITY) | 0;
      const p = STRIDE * parent;
      const pt = keys[p] as number;
      if (pt < time || (pt === time && (keys[p + 1] as number) < seq)) break;
      const at = STRIDE * i;
      keys[at] = pt;
      keys[at + 1] = keys[p + 1] as number;
      keys[at + 2] = keys[p + 2] as number;
      i = parent;
    }
    const at = STRIDE * i;
    keys[at] = time;
    keys[at + 1] = seq;
    keys[at + 2] = handle;
  }

  /** Removes the earliest entry and returns its handle, or -1 if empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const keys = this.keys;
    const top = keys[2] as number;
    const n = --this.count;
    const lastTime = keys[STRIDE * n] as number;
    const lastSeq = keys[STRIDE * n + 1] as number;
    const lastHandle = keys[STRIDE * n + 2] as number;
    let i = 0;
    for (;;) {
      const first = ARITY * i + 1;
      if (first >= n) break;
      let best = first;
      let bt = keys[STRIDE * first] as number;
      let bs = keys[STRIDE * first + 1] as number;
      const end = Math.min(first + ARITY, n);
      for (let c = first + 1; c < end; c++) {
        const ct = keys[STRIDE * c] as number;
        if (ct < bt || (ct === bt && (keys[STRIDE * c + 1] as number) < bs)) {
          best = c;
          bt = ct;
          bs = keys[STRIDE * c + 1] as number;
        }
      }
      if (bt > lastTime || (bt === lastTime && bs > lastSeq)) break;
      const at = STRIDE * i;
      keys[at] = bt;
      keys[at + 1] = bs;
      keys[at + 2] = keys[STRIDE * best + 2] as number;
      i = best;
    }
    if (n > 0) {
      const at = STRIDE * i;
      keys[at] = lastTime;
      keys[at + 1] = lastSeq;
      keys[at + 2] = lastHandle;
    }
    return top;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }
}
