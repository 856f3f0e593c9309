// The transaction layer's assertions that stay on fire on a planted violation (docs/architecture.md §8,
// docs/transactions.md §7, §8): a step that breaks a rule throws the rule's name.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvariantViolation } from "../../src/core/invariant.js";
import { type AcceptorState, acceptBallot, checkAcceptorStep, promise } from "../../src/tx/paxos-acceptor.js";
import type { TxOutcome } from "../../src/tx/tx-outcome.js";
import { acceptedFast, allInstances, coordinatorAt, node, write } from "./fixtures.js";

function violates(rule: string, action: () => void): void {
  assert.throws(action, (e: unknown) => e instanceof InvariantViolation && e.rule === rule);
}

const state = (promised: number, accepted: [number, number, "prepared" | "abort"][]): AcceptorState => ({
  promised,
  accepted: new Map(accepted.map(([instance, ballot, vote]) => [instance, { ballot, vote }])),
});

/** Node 0's coordinator, with a commit of one write started; its tid and what its client hears. */
function started() {
  const c = coordinatorAt(0);
  const outcomes: TxOutcome[] = [];
  c.tx.commit([write("a", 0, "x")], (o) => outcomes.push(o));
  c.ring.settle();
  const tid = c.env.sentOf("txInit")[0]?.msg.tid ?? "";
  return { ...c, tid, outcomes };
}

describe("transaction assertions fire on a planted violation", () => {
  it("acceptor: the steps the acceptor takes pass the check", () => {
    const before = state(3, [[0, 3, "prepared"]]);
    const promised = promise(before, 8);
    assert.ok(promised !== null);
    checkAcceptorStep(before, promised, [], "promise");
    const accepted = acceptBallot(promised, 8, [{ instance: 0, ballot: 0, vote: "abort" }]);
    assert.ok(accepted !== null);
    checkAcceptorStep(promised, accepted, [0], "accept");
  });

  it("acceptor: a promise never decreases", () => {
    violates("acceptor: promise never decreases", () =>
      checkAcceptorStep(state(8, []), state(3, []), [], "planted"),
    );
  });

  it("acceptor: no accept below the promise made before it", () => {
    violates("acceptor: no accept below promise", () =>
      checkAcceptorStep(state(8, []), state(8, [[0, 3, "prepared"]]), [0], "planted"),
    );
  });

  it("acceptor: one value per ballot", () => {
    violates("acceptor: one value per ballot", () =>
      checkAcceptorStep(state(3, [[0, 3, "prepared"]]), state(3, [[0, 3, "abort"]]), [0], "planted"),
    );
  });

  it("acceptor: at ballot 0 an acceptor accepts one vote per instance, never both", () => {
    const c = started();
    c.tx.onMessage(node(4), acceptedFast(c.tid, 1, [[0, "prepared"]]));
    violates("acceptor: ballot 0 accepted once per instance", () =>
      c.tx.onMessage(node(4), acceptedFast(c.tid, 1, [[0, "abort"]])),
    );
  });

  it("decision: a decided transaction never hears another outcome", () => {
    const c = started();
    for (const i of [0, 1, 2]) {
      c.tx.onMessage(node(4 * i), acceptedFast(c.tid, i, allInstances(1, "prepared")));
      c.ring.settle();
    }
    const finals = c.env.sentOf("txFinal");
    assert.ok(finals.length > 0 && finals.every((s) => s.msg.commit), "decided commit here");
    violates("decision: one outcome per transaction", () =>
      c.tx.onMessage(node(8), { type: "txDecided", tid: c.tid, commit: false }),
    );
  });
});
