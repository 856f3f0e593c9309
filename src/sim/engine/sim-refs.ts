// The refs the simulator hands out (docs/simulator.md §1, docs/architecture.md §7), made a block at a
// time: refs are read on nearly every event (sends, the trace, every comparison of peers), and made
// together they lie together in memory, in cache, instead of each beside its node's other state.
// Must not break: a ref is filled once, when handed out, and never changed after.
import type { RingId } from "../../core/id-space.js";
import type { NodeRef } from "../../core/node-ref.js";

/** How many refs or addresses are made at once. */
const BLOCK = 1024;

/** A NodeRef that also carries its machine's index (hidden from protocol code). */
export interface SimRef extends NodeRef {
  readonly simIndex: number;
}

/** The fields in NodeRef's order, then simIndex. A NaN nonce makes the field a double from the start. */
class PooledRef implements SimRef {
  id: RingId = 0n;
  addr = "";
  nonce = Number.NaN;
  simIndex = -1;
}

/** Whether `value` is a ref this simulator made (a quicker test than looking for simIndex). */
export function isSimRef(value: object): value is SimRef {
  return value instanceof PooledRef;
}

export class SimRefs {
  private spare: PooledRef[] = [];
  private taken = 0;
  private readonly addrs: string[] = [];

  /** The address of machine `index`: `sim:<index>`. */
  addrOf(index: number): string {
    while (index >= this.addrs.length) {
      const start = this.addrs.length;
      for (let i = start; i < start + BLOCK; i++) this.addrs.push(`sim:${i}`);
    }
    return this.addrs[index] as string;
  }

  /** A new ref for one incarnation of machine `index`. */
  make(id: RingId, index: number, nonce: number): SimRef {
    if (this.taken === this.spare.length) {
      this.spare = Array.from({ length: BLOCK }, () => new PooledRef());
      this.taken = 0;
    }
    const ref = this.spare[this.taken] as PooledRef;
    this.taken++;
    ref.id = id;
    ref.addr = this.addrOf(index);
    ref.nonce = nonce;
    ref.simIndex = index;
    return ref;
  }
}
