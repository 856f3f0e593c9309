// The TM's answer to its client (docs/transactions.md §1, §5): an abort at the decision, a commit once a
// majority of every item's replicas holds it (or the decider gave up delivering), `timeout` at the
// deadline with the outcome unknown. A client hears once, and never something the decision contradicts.
import { invariant } from "../core/invariant.js";
import type { TxConfig } from "./tx-config.js";
import { transactionVerdict } from "./tx-learner.js";
import type { TxOutcome } from "./tx-outcome.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

export class ClientAnswers {
  private readonly config: TxConfig;
  private readonly table: TxTable;

  constructor(config: TxConfig, table: TxTable) {
    this.config = config;
    this.table = table;
  }

  /** Tells the client the decision, if it still waits and there is one. */
  answer(tx: TxState): void {
    const onDone = tx.client.onDone;
    if (onDone === null || tx.decision === null) return;
    tx.client.onDone = null;
    const known = transactionVerdict(tx.learner.decided, tx.keys.length, this.config.replication);
    invariant(
      known === null || known === tx.decision,
      "client: the answer agrees with the decision",
      () => `tx ${tx.tid}: answering ${tx.decision ? "commit" : "abort"}, the instances here say otherwise`,
    );
    onDone(outcomeOf(tx, tx.decision));
  }

  /** The `txDeadline` timer: a client still waiting hears `timeout` (the work goes on). */
  onDeadline(tid: string): void {
    const tx = this.table.get(tid);
    if (tx === undefined || tx.client.onDone === null) return;
    const onDone = tx.client.onDone;
    tx.client.onDone = null;
    const state = tx.decision === null ? "undecided" : "decided, not yet applied by a majority of replicas";
    onDone({
      ok: false,
      code: "timeout",
      message: `commit ${tid}: ${state} after ${this.config.deadlineMs} ms; the outcome is unknown`,
    });
  }
}

function outcomeOf(tx: TxState, commit: boolean): TxOutcome {
  if (commit) return { ok: true, committed: true, tid: tx.tid };
  return {
    ok: true,
    committed: false,
    tid: tx.tid,
    conflicts: [...tx.client.conflicts],
    reason:
      tx.client.reason === ""
        ? "a majority of some key's replicas did not prepare in time"
        : tx.client.reason,
  };
}
