// The learner (docs/transactions.md §5, §7): an instance is decided when a majority of the f acceptors
// accepted one vote — at ballot 0 counted per instance and vote, at a leader's ballot over all its
// instances at once; an item is prepared by a majority of its instances, aborted by f − majority + 1;
// the transaction commits iff every item is prepared. Never decide from fewer than a majority.
import { invariant } from "../core/invariant.js";
import { majorityOf, type TxConfig } from "./tx-config.js";
import type { TxDecider } from "./tx-decider.js";
import type { Vote } from "./tx-lock.js";
import type { TxMessage } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

/** An item's state from its instances' decisions: prepared, aborted, or not yet known. */
type ItemVerdict = "prepared" | "abort" | "open";

/** Item `item`'s verdict: prepared by `majority` prepared instances, aborted by f − majority + 1 aborts. */
export function itemVerdict(
  decided: ReadonlyMap<number, Vote>,
  item: number,
  replication: number,
): ItemVerdict {
  const majority = majorityOf(replication);
  let prepared = 0;
  let aborted = 0;
  for (let r = 0; r < replication; r++) {
    const v = decided.get(item * replication + r);
    if (v === "prepared") prepared++;
    else if (v === "abort") aborted++;
  }
  if (aborted > replication - majority) return "abort";
  return prepared >= majority ? "prepared" : "open";
}

/**
 * The transaction's verdict: abort once any item aborted (in item order), commit once every item is prepared.
 */
export function transactionVerdict(
  decided: ReadonlyMap<number, Vote>,
  items: number,
  replication: number,
): boolean | null {
  let allPrepared = true;
  for (let item = 0; item < items; item++) {
    const verdict = itemVerdict(decided, item, replication);
    if (verdict === "abort") return false;
    if (verdict === "open") allPrepared = false;
  }
  return allPrepared ? true : null;
}

export class TxLearner {
  private readonly table: TxTable;
  private readonly decider: TxDecider;
  private readonly f: number;
  private readonly majority: number;

  constructor(config: TxConfig, table: TxTable, decider: TxDecider) {
    this.table = table;
    this.decider = decider;
    this.f = config.replication;
    this.majority = majorityOf(config.replication);
  }

  /** Ballot 0 counts per instance and vote; a leader's ballot counts over all its instances. */
  onAccepted(msg: Extract<TxMessage, { type: "txAccepted" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined || tx.decision !== null) return;
    if (msg.ballot === 0) this.countFast(tx, msg);
    else if (msg.ballot === tx.leader.ballot && tx.leader.proposal !== null) this.countBallot(tx, msg.index);
    const verdict = transactionVerdict(tx.learner.decided, tx.keys.length, this.f);
    if (verdict !== null) this.decider.decide(tx, verdict);
  }

  private countFast(tx: TxState, msg: Extract<TxMessage, { type: "txAccepted" }>): void {
    for (const v of msg.votes) {
      if (tx.learner.decided.has(v.instance)) continue;
      const other = tx.learner.fast.get(`${v.instance}/${v.vote === "prepared" ? "abort" : "prepared"}`);
      invariant(
        other?.has(msg.index) !== true,
        "acceptor: ballot 0 accepted once per instance",
        () =>
          `tx ${tx.tid}: acceptor ${msg.index} accepted both votes for instance ${v.instance} at ballot 0`,
      );
      const slot = `${v.instance}/${v.vote}`;
      const by = tx.learner.fast.get(slot) ?? new Set<number>();
      by.add(msg.index);
      tx.learner.fast.set(slot, by);
      if (by.size >= this.majority) learn(tx, v.instance, v.vote);
    }
  }

  private countBallot(tx: TxState, index: number): void {
    const proposal = tx.leader.proposal;
    if (proposal === null) return;
    tx.leader.acceptedBy.add(index);
    if (tx.leader.acceptedBy.size < this.majority) return;
    for (const v of proposal) learn(tx, v.instance, v.vote);
  }
}

/** Records an instance's decision: a majority accepted `vote`. An instance is decided once, for good. */
function learn(tx: TxState, instance: number, vote: Vote): void {
  const known = tx.learner.decided.get(instance);
  invariant(
    known === undefined || known === vote,
    "learner: one value per instance",
    () => `tx ${tx.tid}: instance ${instance} decided ${known}, then ${vote}`,
  );
  tx.learner.decided.set(instance, vote);
}
