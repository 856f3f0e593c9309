// A recorded simulated run, read back (docs/dashboard.md §7): the JSON lines `selfman sim … --record`
// writes, checked line by line, and the ring at any frame rebuilt from the nearest key frame and the
// changes after it. A file that is not a recording is refused with the line and the reason.
import { ringDigest } from "../../core/ring-digest.js";
import {
  FLAG_MEMBER,
  type FrameNode,
  RECORD_FORMAT,
  RECORD_VERSION,
  type RecordEnd,
} from "../../wire/ring-record-format.js";
import { successorCycles } from "./ring-cycles.js";

export { FLAG_MEMBER, FLAG_SUSPECTS } from "../../wire/ring-record-format.js";

const KEY_FRAME_EVERY = 64;

/** A node at one frame: successor and predecessor indices (-1: none) and flags. */
export interface NodeState {
  readonly succ: number;
  readonly pred: number;
  readonly flags: number;
}

interface Frame {
  readonly t: number;
  readonly changed: readonly FrameNode[];
  readonly gone: readonly number[];
}

/** What one frame shows: its nodes, and the verdict the page draws. */
export interface FrameView {
  readonly t: number;
  readonly nodes: ReadonlyMap<number, NodeState>;
  readonly members: number;
  readonly rings: number;
  /** The ring (cycle) each node on one is in, numbered from 0. */
  readonly ringOf: ReadonlyMap<number, number>;
  readonly perfect: boolean;
  readonly digest: string;
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function bad(line: number, why: string): Error {
  return new Error(`line ${line}: ${why}`);
}

export class RingRecord {
  readonly header: Readonly<Record<string, unknown>>;
  readonly ids: string[] = [];
  readonly frames: Frame[] = [];
  readonly end: RecordEnd | null;
  /** Node indices in id order, for the perfect-ring check. */
  readonly #byId: number[];
  readonly #keyFrames = new Map<number, Map<number, NodeState>>();

  constructor(text: string) {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    let end: RecordEnd | null = null;
    const parsed = lines.map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw bad(i + 1, "not JSON");
      }
    });
    const head = parsed[0];
    if (head?.format !== RECORD_FORMAT)
      throw bad(1, `not a ${RECORD_FORMAT} (selfman sim … --record FILE writes one)`);
    if (head.version !== RECORD_VERSION)
      throw bad(1, `version ${String(head.version)}; this page reads ${RECORD_VERSION}`);
    this.header = head;
    for (const [k, entry] of parsed.slice(1).entries()) {
      const line = k + 2;
      if (Array.isArray(entry.node)) {
        const [i, id] = entry.node as unknown[];
        if (!isInt(i) || i !== this.ids.length || typeof id !== "string" || !/^\d+$/.test(id))
          throw bad(line, "a node entry is [next index, decimal id]");
        this.ids.push(id);
      } else if (isInt(entry.t) && Array.isArray(entry.f)) {
        const changed = entry.f as unknown[];
        for (const n of changed)
          if (!Array.isArray(n) || n.length !== 4 || !n.every(isInt) || (n[0] as number) >= this.ids.length)
            throw bad(line, "a frame entry is [index, succ, pred, flags] of known nodes");
        const gone = Array.isArray(entry.gone) ? (entry.gone as unknown[]) : [];
        if (!gone.every(isInt)) throw bad(line, "gone lists node indices");
        this.frames.push({
          t: entry.t,
          changed: changed as Frame["changed"],
          gone: gone as number[],
        });
      } else if (typeof entry.end === "object" && entry.end !== null) {
        end = entry.end as RecordEnd;
      } else throw bad(line, "neither a node, a frame nor the end");
    }
    if (this.frames.length === 0) throw bad(lines.length, "no frame recorded");
    this.end = end;
    this.#byId = this.ids
      .map((_, i) => i)
      .sort((a, b) => {
        const x = BigInt(this.ids[a] as string);
        const y = BigInt(this.ids[b] as string);
        return x < y ? -1 : x > y ? 1 : 0;
      });
  }

  /** The ring at frame `index` (clamped to the recording). */
  at(index: number): FrameView {
    const last = Math.max(0, Math.min(this.frames.length - 1, Math.floor(index)));
    const key = Math.floor(last / KEY_FRAME_EVERY) * KEY_FRAME_EVERY;
    const nodes = new Map(this.#keyFrame(key));
    for (let f = key + 1; f <= last; f++) apply(nodes, this.frames[f] as Frame);
    return this.#view((this.frames[last] as Frame).t, nodes);
  }

  #keyFrame(index: number): Map<number, NodeState> {
    const cached = this.#keyFrames.get(index);
    if (cached !== undefined) return cached;
    const nodes =
      index === 0 ? new Map<number, NodeState>() : new Map(this.#keyFrame(index - KEY_FRAME_EVERY));
    for (let f = index === 0 ? 0 : index - KEY_FRAME_EVERY + 1; f <= index; f++)
      apply(nodes, this.frames[f] as Frame);
    this.#keyFrames.set(index, nodes);
    return nodes;
  }

  #view(t: number, nodes: Map<number, NodeState>): FrameView {
    const members = this.#byId.filter((i) => ((nodes.get(i)?.flags ?? 0) & FLAG_MEMBER) !== 0);
    let perfect = members.length > 0;
    for (const [k, i] of members.entries()) {
      const next = members[(k + 1) % members.length];
      const prev = members[(k - 1 + members.length) % members.length];
      const state = nodes.get(i);
      if (state?.succ !== next || state?.pred !== prev) perfect = false;
    }
    const digest = ringDigest(
      members.map((i) => {
        const succ = nodes.get(i)?.succ ?? -1;
        return [this.ids[i] as string, succ < 0 ? null : (this.ids[succ] ?? null)] as const;
      }),
    );
    const { count, ringOf } = cycles(nodes);
    return { t, nodes, members: members.length, rings: count, ringOf, perfect, digest };
  }
}

function apply(nodes: Map<number, NodeState>, frame: Frame): void {
  for (const [i, succ, pred, flags] of frame.changed) nodes.set(i, { succ, pred, flags });
  for (const i of frame.gone) nodes.delete(i);
}

/**
 * The cycles the successor pointers of the nodes make (each ring is one): which cycle each node on one
 * is in, numbered from 0, and how many there are.
 */
function cycles(nodes: ReadonlyMap<number, NodeState>): { count: number; ringOf: Map<number, number> } {
  const succOf = (i: number) => {
    const succ = nodes.get(i)?.succ ?? -1;
    return succ >= 0 && nodes.has(succ) ? succ : undefined;
  };
  const found = successorCycles(nodes.keys(), succOf);
  const ringOf = new Map<number, number>();
  for (const [ring, cycle] of found.entries()) for (const i of cycle) ringOf.set(i, ring);
  return { count: found.length, ringOf };
}
