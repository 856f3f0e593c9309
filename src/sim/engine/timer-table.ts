// The simulator's pending timers, by id, so a timer can be cancelled (docs/simulator.md §1). A TimerId
// is a slot and that slot's generation (id = generation·SLOTS + slot): slots are reused without a hash
// map on the hot path, and a stale id never reaches the newer timer in its slot. Id 0 is never issued,
// because protocol code uses 0 for "no timer".
import type { TimerId } from "../../core/env.js";

/** At most this many timers pending at once. */
const SLOTS = 2 ** 24;

export class TimerTable<E> {
  /** items[slot] is the pending timer in that slot; slot 0 stays empty. */
  private readonly items: (E | undefined)[] = [undefined];
  private generations = new Int32Array(1024);
  private readonly free: number[] = [];

  /** Stores a pending timer and returns its id. */
  add(item: E): TimerId {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.items.length;
      if (slot >= SLOTS) throw new RangeError(`more than ${SLOTS} pending simulator timers`);
      this.items.push(item);
      if (slot >= this.generations.length) this.growGenerations();
    } else {
      this.items[slot] = item;
    }
    return (this.generations[slot] as number) * SLOTS + slot;
  }

  /** Removes the timer with this id and returns it, or undefined if it already fired or was cancelled. */
  take(id: TimerId): E | undefined {
    const slot = id % SLOTS;
    if (slot === 0 || this.generations[slot] !== (id - slot) / SLOTS) return undefined;
    const item = this.items[slot];
    if (item === undefined) return undefined;
    this.items[slot] = undefined;
    this.generations[slot] = (this.generations[slot] as number) + 1;
    this.free.push(slot);
    return item;
  }

  private growGenerations(): void {
    const grown = new Int32Array(this.generations.length * 2);
    grown.set(this.generations);
    this.generations = grown;
  }
}
