// A queue of items ordered by (time, seq) (docs/simulator.md §1): items at the same virtual time come
// out in the order they were pushed. The order is a TimeHeap of handles; the items stay put in a slab
// indexed by handle. The simulator keeps its own events as packed records (event-records.ts).
import { TimeHeap } from "./time-heap.js";

export class EventQueue<E> {
  private readonly heap = new TimeHeap();
  private readonly slab: (E | undefined)[] = [];
  private freeHandles = new Int32Array(1024);
  private freeCount = 0;
  private nextSeq = 0;

  get size(): number {
    return this.heap.size;
  }

  /** Time of the earliest item, or +∞ if empty. */
  peekTime(): number {
    return this.heap.peekTime();
  }

  push(item: E, time: number): void {
    this.heap.push(this.store(item), time, this.nextSeq++);
  }

  /** Removes and returns the earliest item. */
  pop(): E | undefined {
    const handle = this.heap.pop();
    return handle < 0 ? undefined : this.release(handle);
  }

  private store(item: E): number {
    if (this.freeCount > 0) {
      const handle = this.freeHandles[--this.freeCount] as number;
      this.slab[handle] = item;
      return handle;
    }
    this.slab.push(item);
    return this.slab.length - 1;
  }

  private release(handle: number): E | undefined {
    const item = this.slab[handle];
    this.slab[handle] = undefined;
    if (this.freeCount === this.freeHandles.length) {
      const grown = new Int32Array(this.freeHandles.length * 2);
      grown.set(this.freeHandles);
      this.freeHandles = grown;
    }
    this.freeHandles[this.freeCount++] = handle;
    return item;
  }
}
