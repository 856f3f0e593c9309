// What one node keeps per transaction it takes part in as TM, rTM or acceptor (docs/transactions.md §3),
// one part per role: the acceptor host's Paxos state, the learner's counts, the ballot leader's round,
// the decider's delivery of `final`, the client's pending answer. A role writes its own part, but the
// acceptor host notes a TP's abort reason in the client's and the learner counts the leader's accepts.
// Must not break: `decision` is written by the decider only, and once (it asserts so).
import type { NodeRef } from "../core/node-ref.js";
import { sameNode } from "../core/node-ref.js";
import type { Round } from "../store/item.js";
import { type AcceptorState, FRESH_ACCEPTOR } from "./paxos-acceptor.js";
import type { TxEntry, Vote } from "./tx-lock.js";
import type { AcceptedVote } from "./tx-messages.js";
import type { TxOutcome } from "./tx-outcome.js";

/** The acceptor host's part: one Paxos acceptor per acceptor index of this node (docs/transactions.md §8). */
interface AcceptorPart {
  readonly states: Map<number, AcceptorState>;
  /** Ballot-0 acceptances not yet sent to the TM, per acceptor index of mine. */
  readonly bundles: Map<number, AcceptedVote[]>;
  bundleTimer: boolean;
}

/**
 * The learner's part (docs/transactions.md §5): ballot-0 acceptances counted per instance and vote, and what
 * was decided.
 */
interface LearnerPart {
  /** Per `instance/vote`, the acceptor indexes that accepted it with ballot 0. */
  readonly fast: Map<string, Set<number>>;
  /** Per instance, the vote a majority of acceptors accepted (never changed once set). */
  readonly decided: Map<number, Vote>;
}

/**
 * The ballot leader's part (docs/transactions.md §8): its ballot, the promises and acceptances heard for it.
 */
interface LeaderPart {
  ballot: number;
  /** The highest promise an acceptor refused us with: the next ballot goes above it. */
  highestSeen: number;
  readonly promises: Map<number, readonly AcceptedVote[]>;
  readonly acceptedBy: Set<number>;
  proposal: AcceptedVote[] | null;
  /** Which takeover timer is current (an older one that fires does nothing). */
  takeoverAttempt: number;
}

/**
 * The decider's part (docs/transactions.md §5): the instances that answered `final`, and those that hold its
 * outcome.
 */
interface DeliveryPart {
  readonly applied: Set<number>;
  readonly holding: Set<number>;
  delivering: boolean;
}

/** The TM's client (docs/transactions.md §1): who waits for the outcome, and why an abort happened. */
interface ClientPart {
  onDone: ((outcome: TxOutcome) => void) | null;
  readonly conflicts: Set<string>;
  reason: string;
}

export interface TxState {
  readonly tid: string;
  /** My acceptor indexes (usually one; more when the ring is too small to spread the acceptors). */
  readonly mine: readonly number[];
  readonly acceptors: readonly NodeRef[];
  keys: readonly string[];
  /** TM and rTMs that got `txInit`: the log (what to commit). */
  log: readonly TxEntry[] | null;
  round: Round | null;
  readonly startedMs: number;
  /** The transaction's outcome once known here: true commit, false abort. */
  decision: boolean | null;
  decidedAtMs: number;
  readonly acceptor: AcceptorPart;
  readonly learner: LearnerPart;
  readonly leader: LeaderPart;
  readonly delivery: DeliveryPart;
  readonly client: ClientPart;
}

/** The indexes at which `self` appears among a transaction's acceptors. */
export function indexesOf(acceptors: readonly NodeRef[], self: NodeRef): number[] {
  return acceptors.flatMap((a, i) => (sameNode(a, self) ? [i] : []));
}

export function newTxState(
  tid: string,
  log: readonly TxEntry[],
  acceptors: readonly NodeRef[],
  mine: readonly number[],
  startedMs: number,
  onDone: ((outcome: TxOutcome) => void) | null,
): TxState {
  return {
    tid,
    mine,
    acceptors,
    keys: log.map((e) => e.key),
    log,
    round: null,
    startedMs,
    decision: null,
    decidedAtMs: 0,
    acceptor: {
      states: new Map(mine.map((i) => [i, FRESH_ACCEPTOR])),
      bundles: new Map(),
      bundleTimer: false,
    },
    learner: { fast: new Map(), decided: new Map() },
    leader: {
      ballot: 0,
      highestSeen: 0,
      promises: new Map(),
      acceptedBy: new Set(),
      proposal: null,
      takeoverAttempt: 0,
    },
    delivery: { applied: new Set(), holding: new Set(), delivering: false },
    client: { onDone, conflicts: new Set(), reason: "" },
  };
}
