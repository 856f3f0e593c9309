// The simulator's event order (docs/simulator.md §1): every pending event by (time, seq), seq being the
// order of scheduling. Two heaps hold them — events due within NEAR_MS of when they were scheduled
// (message deliveries) and the rest (timers) — and the earliest top of the two comes out first, so the
// order is exactly one heap's; the small near heap stays in cache while the large far one is rarely sifted.
import { TimeHeap } from "./time-heap.js";

/** Events scheduled less than this far ahead go to the near heap. */
const NEAR_MS = 100;

export class EventOrder {
  private readonly near = new TimeHeap();
  private readonly far = new TimeHeap();
  private nextSeq = 0;

  get size(): number {
    return this.near.size + this.far.size;
  }

  /** Time of the earliest event, or +∞ if none. */
  peekTime(): number {
    return Math.min(this.near.peekTime(), this.far.peekTime());
  }

  /** Schedules `handle` at `time`, `nowMs` being the time now. */
  push(handle: number, time: number, nowMs: number): void {
    const seq = this.nextSeq++;
    if (time - nowMs < NEAR_MS) this.near.push(handle, time, seq);
    else this.far.push(handle, time, seq);
  }

  /** Removes the earliest event (by time, then seq) and returns its handle, or −1 if none. */
  pop(): number {
    const nearTime = this.near.peekTime();
    const farTime = this.far.peekTime();
    if (nearTime < farTime) return this.near.pop();
    if (farTime < nearTime) return this.far.pop();
    if (nearTime === Number.POSITIVE_INFINITY) return -1;
    return this.near.peekSeq() < this.far.peekSeq() ? this.near.pop() : this.far.pop();
  }
}
