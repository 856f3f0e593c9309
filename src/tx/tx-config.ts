// The transaction layer's bounds (docs/transactions.md §5, §8): every timer and limit the TM, the rTMs,
// the acceptors and the TPs use, named once. Protocol safety never depends on them (ballots do); they
// decide only how soon a slow or failed transaction is finished, and how long it is remembered.

export interface TxConfig {
  readonly replication: number;
  /** TM: instances undecided after this are decided by a ballot of the TM's own. */
  readonly voteTimeoutMs: number;
  /**
   * A commit uses rTMs found by a lookup at most this old (a lookup is answered by the node it finds,
   * so it shows that node alive): a transaction whose acceptors were already gone could never decide.
   */
  readonly rtmFreshMs: number;
  /** rTM j takes over a transaction still undecided this long after it heard of it, plus j × electMs. */
  readonly takeoverMs: number;
  readonly electMs: number;
  /** `final` is sent again to replicas that have not applied it, this often, this many times. */
  readonly finalResendMs: number;
  readonly finalAttempts: number;
  /**
   * An acceptor sends its ballot-0 acceptances to the TM in one message once it has one for every
   * instance, or this long after the first (a TP may be slow or gone): Paxos Commit's bundled phase 2b.
   * 0 bundles what arrives together (the timer runs after the messages already due) and delays nothing.
   */
  readonly bundleWaitMs: number;
  /** A finished transaction is remembered this long (to answer replicas that ask). */
  readonly keepDecidedMs: number;
  /** A TM that cannot find its rTMs gives up after this. */
  readonly setupTimeoutMs: number;
  /** A client with no outcome after this hears `timeout` (the outcome is unknown; work goes on). */
  readonly deadlineMs: number;
  /** TP: how often held locks are looked at. */
  readonly lockCheckMs: number;
  /** TP: a lock held this long makes its replica ask the transaction's acceptors for the outcome. */
  readonly lockAgeMs: number;
}

export const DEFAULT_TX: TxConfig = {
  replication: 4,
  voteTimeoutMs: 2000,
  rtmFreshMs: 2000,
  takeoverMs: 3000,
  electMs: 500,
  finalResendMs: 1000,
  finalAttempts: 20,
  bundleWaitMs: 0,
  keepDecidedMs: 600_000,
  setupTimeoutMs: 10_000,
  deadlineMs: 30_000,
  lockCheckMs: 5000,
  lockAgeMs: 10_000,
};

/** A majority of the f acceptors, or of an item's f replicas. */
export function majorityOf(replication: number): number {
  return Math.floor(replication / 2) + 1;
}
