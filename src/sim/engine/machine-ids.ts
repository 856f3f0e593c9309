// The ring ids of simulated machines (docs/simulator.md §1), drawn a block at a time so that the bigints,
// read on nearly every event, lie together in memory. Machine i's id comes from the stream split by
// `id:<i>`, as when drawn alone; its draws go into the trace hash when the machine is added, in order.
import type { IdSpace, RingId } from "../../core/id-space.js";
import type { Prng } from "./prng.js";
import type { TraceHash } from "./trace-hash.js";

const BLOCK = 1024;
const TWO_POW_32 = 0x1_0000_0000;

export class MachineIds {
  private readonly ids: IdSpace;
  private readonly root: Prng;
  private readonly trace: TraceHash;
  /** Draws per id: IdSpace.randomId takes one per 32 bits. */
  private readonly wordsPerId: number;
  private readonly drawn: RingId[] = [];
  /** The draws behind drawn[i], at wordsPerId·i onwards. */
  private words = new Float64Array(0);

  /** `root` is the stream the per-machine streams split from; `trace` gets each id's draws. */
  constructor(ids: IdSpace, root: Prng, trace: TraceHash) {
    this.ids = ids;
    this.root = root;
    this.trace = trace;
    this.wordsPerId = Math.ceil(ids.m / 32);
  }

  /** Machine `index`'s id; its draws are mixed into the trace now. */
  take(index: number): RingId {
    while (index >= this.drawn.length) this.drawBlock();
    const from = this.wordsPerId * index;
    for (let w = 0; w < this.wordsPerId; w++) this.trace.mix(this.words[from + w] as number);
    return this.drawn[index] as RingId;
  }

  private drawBlock(): void {
    const start = this.drawn.length;
    const words = new Float64Array(this.wordsPerId * (start + BLOCK));
    words.set(this.words);
    for (let index = start; index < start + BLOCK; index++) {
      const rng = this.root.split(`id:${index}`, null);
      let w = this.wordsPerId * index;
      this.drawn.push(
        this.ids.randomId(() => {
          const word = rng.nextU32();
          words[w++] = word;
          return word / TWO_POW_32;
        }),
      );
    }
    this.words = words;
  }
}
