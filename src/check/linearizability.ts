// A linearizability checker (Wing & Gong, with Lowe's memoisation, as Porcupine does it): is there an
// order of the operations, consistent with real time (an operation that returned before another was
// called comes first), in which every operation's output is what a sequential model gives? Run per
// key (linearizability is compositional). Operations whose outcome is unknown (a timeout, a crash)
// may take effect at any point after their call, or never. The search counts its steps and gives up
// with "unknown" past a budget.

export interface Model<S, I, O> {
  readonly init: S;
  /** The state after `input` from `state`, if the model could have answered `output` (null: could not). */
  step(state: S, input: I, output: O | undefined): { readonly next: S } | null;
  /** A canonical string of a state, for memoisation. */
  key(state: S): string;
}

export interface HistoryOp<I, O> {
  readonly input: I;
  /** undefined: the outcome is unknown (it may have taken effect, or not). */
  readonly output: O | undefined;
  readonly callMs: number;
  /** +∞ when the outcome is unknown. */
  readonly returnMs: number;
}

export type Verdict = true | false | "unknown";

interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  prev: Entry | null;
  next: Entry | null;
  /** The call entry's matching return entry. */
  match: Entry | null;
}

/** Random 2×32-bit lanes per operation: the set of linearized operations hashes as their XOR. */
function laneOf(op: number, salt: number): number {
  let h = Math.imul(op ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly HistoryOp<I, O>[],
  budget = 2_000_000,
): Verdict {
  if (history.length === 0) return true;
  // Calls before returns at equal times: touching operations are concurrent, the lenient reading.
  const events: Entry[] = [];
  history.forEach((h, op) => {
    const call: Entry = { op, isCall: true, time: h.callMs, prev: null, next: null, match: null };
    const ret: Entry = { op, isCall: false, time: h.returnMs, prev: null, next: null, match: null };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Entry = {
    op: -1,
    isCall: false,
    time: Number.NEGATIVE_INFINITY,
    prev: null,
    next: null,
    match: null,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const unknown = history.map((h) => h.output === undefined);
  const lift = (call: Entry) => {
    for (const e of [call, call.match as Entry]) {
      (e.prev as Entry).next = e.next;
      if (e.next !== null) e.next.prev = e.prev;
    }
  };
  const unlift = (call: Entry) => {
    for (const e of [call.match as Entry, call]) {
      (e.prev as Entry).next = e;
      if (e.next !== null) e.next.prev = e;
    }
  };
  const seen = new Set<string>();
  const stack: { call: Entry; state: S }[] = [];
  let state = model.init;
  let h1 = 0;
  let h2 = 0;
  let steps = 0;
  let cur = head.next;
  while (cur !== null) {
    if (++steps > budget) return "unknown";
    if (cur.isCall) {
      const op = history[cur.op] as HistoryOp<I, O>;
      const step = model.step(state, op.input, op.output);
      const n1 = h1 ^ laneOf(cur.op, 0x1234567);
      const n2 = h2 ^ laneOf(cur.op, 0x7654321);
      const memo = step === null ? "" : `${n1},${n2},${model.key(step.next)}`;
      if (step !== null && !seen.has(memo)) {
        seen.add(memo);
        stack.push({ call: cur, state });
        state = step.next;
        h1 = n1;
        h2 = n2;
        lift(cur);
        cur = head.next;
      } else {
        cur = cur.next;
      }
      continue;
    }
    // A return: every operation still listed before it must come first. If the rest are only the
    // returns of operations with unknown outcome, those never took effect: done.
    if (unknown[cur.op] === true && onlyUnknownReturnsFrom(cur, unknown)) return true;
    const top = stack.pop();
    if (top === undefined) return false;
    state = top.state;
    h1 ^= laneOf(top.call.op, 0x1234567);
    h2 ^= laneOf(top.call.op, 0x7654321);
    unlift(top.call);
    cur = top.call.next;
  }
  return true;
}

function onlyUnknownReturnsFrom(entry: Entry | null, unknown: readonly boolean[]): boolean {
  for (let e = entry; e !== null; e = e.next) if (e.isCall || unknown[e.op] !== true) return false;
  return true;
}
