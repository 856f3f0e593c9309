// A recording of a simulated ring run for the dashboard's replay (docs/dashboard.md §7): every
// `intervalMs` of simulated time, a frame of the live nodes — each one's successor, predecessor, whether
// it is a member and whether it suspects anyone — as JSON lines: a header, each node's id once when
// first seen, the frames (each lists only the nodes that changed since the one before, and those gone),
// and a closing line with the last frame's size, verdict and ring digest. Sans-I/O:
// it builds text, and the CLI writes the file. Recording reads the nodes' views and changes nothing, so a
// recorded run keeps its trace.
import type { NodeRef } from "../core/node-ref.js";
import { ringDigest } from "../core/ring-digest.js";
import type { RingView } from "../overlay/ring-view.js";
import {
  FLAG_MEMBER,
  FLAG_SUSPECTS,
  type FrameNode,
  RECORD_FORMAT,
  RECORD_VERSION,
  type RecordEnd,
} from "../wire/ring-record-format.js";

/** A frame of more nodes than this is not recorded (a recording stays a file a browser can open). */
export const MAX_RECORDED_NODES = 20_000;

export class RingRecorder {
  readonly intervalMs: number;
  readonly #lines: string[] = [];
  readonly #index = new Map<string, number>();
  #frames = 0;
  #last: RecordEnd | null = null;
  /** The previous frame, node index → its entry as text: a frame lists only what changed since. */
  #previous = new Map<number, string>();

  constructor(intervalMs: number) {
    if (!(Number.isInteger(intervalMs) && intervalMs >= 10))
      throw new RangeError(`record interval: an integer of at least 10 ms, got ${intervalMs}`);
    this.intervalMs = intervalMs;
  }

  /** A frame of the live nodes at `nowMs`; `perfect`: whether they form a perfect ring now. */
  frame(nowMs: number, views: readonly RingView[], perfect: boolean): void {
    if (views.length > MAX_RECORDED_NODES) return;
    const indexOf = (ref: NodeRef | null): number => {
      if (ref === null) return -1;
      const key = `${ref.addr}/${ref.nonce}`;
      let i = this.#index.get(key);
      if (i === undefined) {
        i = this.#index.size;
        this.#index.set(key, i);
        this.#lines.push(JSON.stringify({ node: [i, ref.id.toString()] }));
      }
      return i;
    };
    const changed: FrameNode[] = [];
    const now = new Map<number, string>();
    for (const v of views) {
      const i = indexOf(v.self);
      const flags = (v.isMember ? FLAG_MEMBER : 0) | (v.suspected().length > 0 ? FLAG_SUSPECTS : 0);
      const node: FrameNode = [i, indexOf(v.succ), indexOf(v.pred), flags];
      const key = node.join(",");
      now.set(i, key);
      if (this.#previous.get(i) !== key) changed.push(node);
    }
    const gone = [...this.#previous.keys()].filter((i) => !now.has(i));
    this.#previous = now;
    this.#lines.push(
      JSON.stringify(gone.length === 0 ? { t: nowMs, f: changed } : { t: nowMs, f: changed, gone }),
    );
    this.#frames++;
    const members = views.filter((v) => v.isMember);
    this.#last = {
      frames: this.#frames,
      nodes: members.length,
      perfect,
      digest: ringDigest(members.map((v) => [v.self.id.toString(), v.succ?.id.toString() ?? null] as const)),
    };
  }

  /** What the last frame showed: its size, verdict and digest (the CLI prints it; the page recomputes it). */
  end(): RecordEnd {
    return this.#last ?? { frames: 0, nodes: 0, perfect: false, digest: ringDigest([]) };
  }

  /** The whole recording: the header (what was run), the nodes and frames, and the end. */
  text(header: Readonly<Record<string, unknown>>): string {
    const head = JSON.stringify({
      format: RECORD_FORMAT,
      version: RECORD_VERSION,
      intervalMs: this.intervalMs,
      ...header,
    });
    return `${[head, ...this.#lines, JSON.stringify({ end: this.end() })].join("\n")}\n`;
  }
}
