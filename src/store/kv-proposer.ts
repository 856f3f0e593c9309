// Linearizable single-key operations over a key's f replicas (docs/register.md §2, §3, §5): the proposer side
// of the round-based register. A write-like operation reads a majority with a round (a promise), applies the
// operation to the newest value it saw, and writes the result with the same round to a majority. A get first
// peeks without a promise: if a majority agrees on one write, that is the answer (no disk write anywhere);
// otherwise it reads with a round and writes the newest value back before answering. A refused round is
// retried above what was seen, after a randomised back-off. An operation that cannot reach a majority of
// serving replicas by its deadline fails with a clear error; it never answers from fewer. Every new state an
// operation writes carries a random id of its own that the item remembers: a retry that finds one of its ids
// in the newest value was applied already, is not applied twice, and answers with the state of the attempt
// that took effect, which need not be the last (docs/register.md §3, W5–W7). Must not break: the error code
// an operation ends with is carried from where its last attempt failed (Problem), never read back out of a
// message; an operation that wrote never answers from a state that does not outbid its writes (W6).
import type { Env, TimerId } from "../core/env.js";
import type { ErrorCode } from "../core/error-code.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { compareRounds, maxRound, ROUND_ZERO, type Round, type Value, WRITERS_KEPT } from "./item.js";
import { OwnerCache } from "./owner-cache.js";
import { replicaIds } from "./replicas.js";
import type { RingAccess } from "./ring-access.js";
import type { ItemState, StoreMessage, StoreTimer } from "./store-messages.js";

export type KvOp =
  | { readonly kind: "get" }
  | { readonly kind: "put"; readonly value: Value }
  | { readonly kind: "delete" }
  | { readonly kind: "cas"; readonly expected: Value; readonly value: Value }
  | { readonly kind: "incr"; readonly by: number }
  | { readonly kind: "append"; readonly value: Value }
  | { readonly kind: "remove"; readonly value: Value };

/**
 * How a single-key operation fails (docs/register.md §5). Never `conflict`: a refused round is retried
 * above what was seen until the deadline, which then ends it with `timeout`.
 */
type KvFailure = Exclude<ErrorCode, "conflict">;

/**
 * `value`: the key's value after the operation (before it, for a cas that did not swap; null when
 * absent); `found`: whether the key exists after it; `applied`: false only for a cas that did not
 * swap; `version`: the key's version after it.
 */
export type KvResult =
  | {
      readonly ok: true;
      readonly value: Value;
      readonly found: boolean;
      readonly applied: boolean;
      readonly version: number;
    }
  | { readonly ok: false; readonly code: KvFailure; readonly message: string };

export interface ProposerConfig {
  readonly replication: number;
  /** An attempt that has no majority after this is retried. */
  readonly attemptTimeoutMs: number;
  /** An operation still unanswered after this fails (`timeout` or `unavailable`). */
  readonly deadlineMs: number;
  /** Back-off before a retry: uniform in [0, this × attempt). */
  readonly backoffMs: number;
}

export const DEFAULT_PROPOSER: ProposerConfig = {
  replication: 4,
  attemptTimeoutMs: 2000,
  deadlineMs: 10_000,
  backoffMs: 50,
};

type Phase = "peek" | "read" | "write";

/** Why an attempt failed: the code the operation ends with if its deadline passes next, and what to say. */
interface Problem {
  readonly code: KvFailure;
  readonly why: string;
}

const NO_ANSWER: Problem = { code: "timeout", why: "no answer" };
const TOO_SLOW: Problem = { code: "timeout", why: "no majority answered in time" };
const LOCKED: Problem = { code: "timeout", why: "a transaction holds the key" };
const OUTVOTED: Problem = { code: "timeout", why: "a higher round got there first" };
const FORGOTTEN: Problem = {
  code: "timeout",
  why: `an earlier attempt may have taken effect ${WRITERS_KEPT} or more writes ago, too long to tell`,
};
const NOT_SERVING: Problem = {
  code: "unavailable",
  why: "fewer than a majority of the replicas are serving",
};

interface Operation {
  readonly key: string;
  readonly op: KvOp;
  readonly replicaIds: readonly RingId[];
  readonly startedMs: number;
  readonly onDone: (result: KvResult) => void;
  attempt: number;
  phase: Phase;
  /** The message id of the current phase (replies to older phases are ignored). */
  msgId: number;
  round: Round;
  replies: Map<number, { status: string; item: ItemState | null }>;
  /** The value to write in the write phase, and what to answer once it is written. */
  pending: {
    value: Value;
    version: number;
    tombstone: boolean;
    writers: readonly number[];
    result: KvResult;
  } | null;
  /** The write id of the first new state this operation writes, drawn when it is submitted (W5). */
  readonly firstWriteId: number;
  /**
   * Every new state an attempt of this operation sent, by its write id: its version and the answer it
   * gives. At most one of them can take effect, and it need not be the last (W5).
   */
  readonly writes: Map<number, { readonly version: number; readonly result: KvResult }>;
  /** Why the last attempt failed (for the final error). */
  lastProblem: Problem;
  seen: Round;
  /** The running attempt's opTimeout, cancelled once the attempt ends (a live timer costs a turn). */
  attemptTimer: TimerId | null;
}

const ABSENT: ItemState = { value: null, version: 0, tombstone: false, writeRound: ROUND_ZERO, writers: [] };

export class KvProposer {
  private readonly env: Env<StoreMessage, StoreTimer>;
  private readonly ids: IdSpace;
  private readonly config: ProposerConfig;
  private readonly ring: RingAccess;
  /** Who owns which replica ids, as far as replies said (shared with the transaction manager). */
  readonly owners: OwnerCache;
  private readonly ops = new Map<number, Operation>();
  /** Phase message id → operation id. */
  private readonly byMsg = new Map<number, number>();
  private nextId = 1;
  private roundCounter = 0;
  private readonly majority: number;

  constructor(env: Env<StoreMessage, StoreTimer>, ids: IdSpace, config: ProposerConfig, ring: RingAccess) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.ring = ring;
    this.owners = new OwnerCache(ids);
    this.majority = Math.floor(config.replication / 2) + 1;
  }

  get inFlight(): number {
    return this.ops.size;
  }

  submit(key: string, op: KvOp, onDone: (result: KvResult) => void): void {
    const id = this.nextId++;
    const operation: Operation = {
      key,
      op,
      replicaIds: replicaIds(this.ids, this.config.replication, key),
      startedMs: this.env.now(),
      onDone,
      attempt: 0,
      phase: op.kind === "get" ? "peek" : "read",
      msgId: 0,
      round: ROUND_ZERO,
      replies: new Map(),
      pending: null,
      lastProblem: NO_ANSWER,
      seen: ROUND_ZERO,
      firstWriteId: this.newWriteId(),
      writes: new Map(),
      attemptTimer: null,
    };
    this.ops.set(id, operation);
    this.startAttempt(id);
  }

  onMessage(from: NodeRef, msg: StoreMessage): void {
    if (msg.type !== "regReply") return;
    const id = this.byMsg.get(msg.op);
    const operation = id === undefined ? undefined : this.ops.get(id);
    if (id === undefined || operation === undefined || operation.msgId !== msg.op) return;
    const index = operation.replicaIds.indexOf(msg.replicaId);
    if (index < 0 || operation.replies.has(index)) return;
    if (msg.status === "notResponsible") this.owners.forget(from);
    else if (msg.pred !== null) this.owners.learn(from, msg.pred);
    operation.replies.set(index, { status: msg.status, item: msg.item });
    operation.seen = maxRound(operation.seen, msg.seen);
    this.progress(id, operation);
  }

  onTimer(tag: StoreTimer): void {
    if (tag.type === "opRetry") {
      if (this.ops.has(tag.op)) this.startAttempt(tag.op);
    } else if (tag.type === "opTimeout") {
      const operation = this.ops.get(tag.op);
      if (operation === undefined || operation.attempt !== tag.attempt) return;
      // An owner that stayed silent may be gone: ask the overlay next time, not the cache.
      operation.replicaIds.forEach((replicaId, index) => {
        const owner = operation.replies.has(index) ? null : this.owners.find(replicaId);
        if (owner !== null) this.owners.forget(owner);
      });
      this.retry(tag.op, operation, TOO_SLOW);
    }
  }

  // ---- phases ------------------------------------------------------------------------------------

  private startAttempt(id: number): void {
    const operation = this.ops.get(id);
    if (operation === undefined) return;
    if (this.env.now() - operation.startedMs >= this.config.deadlineMs) {
      this.finish(id, failure(operation, operation.lastProblem));
      return;
    }
    operation.attempt++;
    operation.phase = operation.op.kind === "get" && operation.attempt === 1 ? "peek" : "read";
    operation.pending = null;
    operation.round = this.newRound(operation.seen);
    operation.attemptTimer = this.env.setTimer(this.config.attemptTimeoutMs, {
      type: "opTimeout",
      op: id,
      attempt: operation.attempt,
    });
    this.sendPhase(id, operation);
  }

  /** A round above every round this node has seen: for a transaction's commit (tx-coordinator.ts). */
  nextRound(): Round {
    return this.newRound(ROUND_ZERO);
  }

  /** A random write id (docs/register.md §3, W5). */
  private newWriteId(): number {
    return Math.floor(this.env.random() * 2 ** 52);
  }

  private newRound(seen: Round): Round {
    this.roundCounter = Math.max(this.roundCounter, seen.counter) + 1;
    return { counter: this.roundCounter, proposer: this.ring.self.nonce };
  }

  private sendPhase(id: number, operation: Operation): void {
    const msgId = this.nextId++;
    this.byMsg.delete(operation.msgId);
    operation.msgId = msgId;
    this.byMsg.set(msgId, id);
    operation.replies = new Map();
    operation.replicaIds.forEach((replicaId) => {
      const msg = this.phaseMessage(operation, msgId, replicaId);
      const owner = this.owners.find(replicaId);
      if (owner !== null) {
        this.env.send(owner, msg);
        return;
      }
      this.ring.lookup(replicaId, (result) => {
        if (!result.ok || operation.msgId !== msgId) return;
        this.env.send(result.responsible, msg);
      });
    });
  }

  private phaseMessage(operation: Operation, op: number, replicaId: RingId): StoreMessage {
    const key = operation.key;
    if (operation.phase === "peek") return { type: "regPeek", op, key, replicaId };
    if (operation.phase === "read") return { type: "regRead", op, key, replicaId, round: operation.round };
    const w = pendingOf(operation);
    return {
      type: "regWrite",
      op,
      key,
      replicaId,
      round: operation.round,
      value: w.value,
      version: w.version,
      tombstone: w.tombstone,
      writers: w.writers,
    };
  }

  private progress(id: number, operation: Operation): void {
    const replies = [...operation.replies.values()];
    const oks = replies.filter((r) => r.status === "ok");
    const nacks = replies.filter((r) => r.status === "nack").length;
    const locked = replies.filter((r) => r.status === "locked").length;
    const silent = this.config.replication - replies.length;
    if (oks.length < this.majority) {
      if (oks.length + silent >= this.majority) return; // still possible: wait
      this.retry(id, operation, locked > 0 ? LOCKED : nacks > 0 ? OUTVOTED : NOT_SERVING);
      return;
    }
    if (operation.phase === "write") {
      this.finish(id, pendingOf(operation).result);
      return;
    }
    const states = oks.map((r) => r.item ?? ABSENT);
    const newest = newestOf(states);
    const agreed = states.every((s) => compareRounds(s.writeRound, newest.writeRound) === 0);
    // An earlier attempt's write took effect if its id is in the newest value's history: then only make
    // sure that value is on a majority (write it back unless the quorum agrees) and answer as that
    // attempt would have — with the state it wrote, not a later attempt's (W5).
    const applied = appliedWrite(operation, newest);
    if (applied === null && mayBeForgotten(operation, newest)) {
      // Applying it again could count it twice, answering "not applied" could deny it: unknown (W7).
      this.finish(id, failure(operation, FORGOTTEN));
      return;
    }
    const outcome = applied !== null ? { write: null, result: applied } : this.apply(operation.op, newest);
    if (outcome.write === null) {
      // Nothing to write: answer now if a majority agrees, else write the newest back first. So too
      // when an earlier attempt sent a state that is not in the newest: written back with this round on
      // a majority, the newest outbids it, so it can never take effect after the answer (W6).
      if (agreed && (applied !== null || operation.writes.size === 0)) {
        this.finish(id, outcome.result);
        return;
      }
      if (operation.phase === "peek") {
        operation.phase = "read";
        operation.round = this.newRound(operation.seen);
        this.sendPhase(id, operation);
        return;
      }
      operation.pending = { ...newest, writers: newest.writers.slice(-WRITERS_KEPT), result: outcome.result };
    } else {
      // A fresh id per new state: the attempt that took effect is then known by its id (W5).
      const writeId = operation.writes.size === 0 ? operation.firstWriteId : this.newWriteId();
      const writers = [...newest.writers, writeId].slice(-WRITERS_KEPT);
      operation.pending = { ...outcome.write, writers, result: outcome.result };
      operation.writes.set(writeId, { version: outcome.write.version, result: outcome.result });
    }
    operation.phase = "write";
    this.sendPhase(id, operation);
  }

  /** What `op` makes of the newest state: what to write (null: nothing) and what to answer. */
  private apply(
    op: KvOp,
    current: ItemState,
  ): { write: { value: Value; version: number; tombstone: boolean } | null; result: KvResult } {
    const found = current.version > 0 && !current.tombstone;
    const value = found ? current.value : null;
    const next = current.version + 1;
    const wrote = (v: Value, tombstone = false) => ({
      write: { value: v, version: next, tombstone },
      result: {
        ok: true,
        value: tombstone ? null : v,
        found: !tombstone,
        applied: true,
        version: next,
      } as const,
    });
    switch (op.kind) {
      case "get":
        return { write: null, result: { ok: true, value, found, applied: true, version: current.version } };
      case "put":
        return wrote(op.value);
      case "delete":
        return wrote(null, true);
      case "cas":
        if (found ? jsonEqual(value, op.expected) : op.expected === null) return wrote(op.value);
        return { write: null, result: { ok: true, value, found, applied: false, version: current.version } };
      case "incr":
        if (found && typeof value !== "number")
          return {
            write: null,
            result: { ok: false, code: "invalid-argument", message: "incr: the value is not a number" },
          };
        return wrote((found ? (value as number) : 0) + op.by);
      case "append":
      case "remove": {
        if (found && !Array.isArray(value))
          return {
            write: null,
            result: { ok: false, code: "invalid-argument", message: `${op.kind}: the value is not a list` },
          };
        const list = found ? (value as readonly Value[]) : [];
        return wrote(
          op.kind === "append" ? [...list, op.value] : list.filter((v) => !jsonEqual(v, op.value)),
        );
      }
    }
  }

  private endAttempt(operation: Operation): void {
    if (operation.attemptTimer !== null) this.env.cancelTimer(operation.attemptTimer);
    operation.attemptTimer = null;
  }

  private retry(id: number, operation: Operation, problem: Problem): void {
    this.endAttempt(operation);
    operation.lastProblem = problem;
    this.byMsg.delete(operation.msgId);
    operation.msgId = -1;
    const delay = this.env.random() * this.config.backoffMs * operation.attempt;
    this.env.setTimer(delay, { type: "opRetry", op: id });
  }

  private finish(id: number, result: KvResult): void {
    const operation = this.ops.get(id);
    if (operation === undefined) return;
    this.ops.delete(id);
    this.endAttempt(operation);
    this.byMsg.delete(operation.msgId);
    // Remember the highest round the replicas showed: a transaction's commit round must exceed it.
    this.roundCounter = Math.max(this.roundCounter, operation.seen.counter);
    operation.onDone(result);
  }
}

/**
 * The answer of the attempt whose write the newest state descends from, or null (docs/register.md §3,
 * W5). At most one attempt's id can be in a state's history: a later attempt writes a new state only
 * when its read found no earlier one's, and builds on what it read.
 */
function appliedWrite(operation: Operation, newest: ItemState): KvResult | null {
  for (const writer of newest.writers) {
    const write = operation.writes.get(writer);
    if (write !== undefined) return write.result;
  }
  return null;
}

/**
 * Whether one of this operation's states could be in the newest's history with its id pushed out of the
 * last WRITERS_KEPT writers (docs/register.md §3, W7). Along a history each write adds one to the version
 * and appends one id (a transaction's commit adds one to the version and keeps the ids), so a state
 * fewer than WRITERS_KEPT versions back still has its id in the newest's writers.
 */
function mayBeForgotten(operation: Operation, newest: ItemState): boolean {
  for (const write of operation.writes.values())
    if (newest.version - write.version >= WRITERS_KEPT) return true;
  return false;
}

/**
 * The state with the highest write round, with the writer ids of every copy of it read, more than
 * WRITERS_KEPT perhaps (docs/register.md §3, W5). Copies of one write round hold one value and version but may differ in ids: a transaction's
 * commit keeps each replica's own, and a replica that lagged behind the state the transaction read lacks
 * the ids of that state's writes.
 */
function newestOf(states: readonly ItemState[]): ItemState {
  const newest = states.reduce((a, b) => (compareRounds(b.writeRound, a.writeRound) > 0 ? b : a));
  const writers = [...newest.writers];
  for (const state of states)
    if (compareRounds(state.writeRound, newest.writeRound) === 0)
      for (const writer of state.writers) if (!writers.includes(writer)) writers.push(writer);
  return writers.length === newest.writers.length ? newest : { ...newest, writers };
}

/** The failure an operation ends with after `problem`. */
function failure(operation: Operation, problem: Problem): KvResult {
  return {
    ok: false,
    code: problem.code,
    message: `${operation.op.kind} ${JSON.stringify(operation.key)}: ${problem.why}`,
  };
}

/** The value a write phase writes: set before the phase starts, so never missing. */
function pendingOf(operation: Operation): NonNullable<Operation["pending"]> {
  const pending = operation.pending;
  invariant(
    pending !== null,
    "register: a write phase has its value",
    () => `${operation.op.kind} ${operation.key}`,
  );
  return pending;
}

/** Structural equality of JSON values. */
export function jsonEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as readonly Value[];
    return a.length === bs.length && a.every((v, i) => jsonEqual(v, bs[i] as Value));
  }
  const ao = a as { readonly [k: string]: Value };
  const bo = b as { readonly [k: string]: Value };
  const ka = Object.keys(ao);
  return (
    ka.length === Object.keys(bo).length &&
    ka.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k] as Value, bo[k] as Value))
  );
}
