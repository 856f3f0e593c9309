// The TM, its learner and its delivery of `final`, one rule per test (docs/transactions.md §5, §9): a
// TxCoordinator on node 0 driven through the recording Env; the test plays the acceptors, the TPs and
// the clock. Acceptors are node 0 (the TM, index 0) and nodes 4, 8, 12 (its rTMs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TxEntry } from "../../src/tx/tx-lock.js";
import type { TxMessage } from "../../src/tx/tx-messages.js";
import type { TxOutcome } from "../../src/tx/tx-outcome.js";
import {
  acceptedFast,
  acceptorsOf,
  allInstances,
  CONFIG,
  coordinatorAt,
  F,
  node,
  replicasOf,
  responsible,
  write,
} from "./fixtures.js";

/** A commit of `log` started on node 0; `outcomes` collects what its client hears. */
function startCommit(log: readonly TxEntry[]) {
  const c = coordinatorAt(0);
  const outcomes: TxOutcome[] = [];
  c.tx.commit(log, (o) => outcomes.push(o));
  c.ring.settle();
  const init = c.env.sentOf("txInit")[0];
  const tid = init?.msg.tid ?? "";
  const deliver = (msg: TxMessage, from = node(4)) => {
    c.tx.onMessage(from, msg);
    c.ring.settle();
  };
  return { ...c, outcomes, tid, deliver };
}

/** Acceptors `indexes` each tell the TM they accepted `votes` at ballot 0. */
function acceptances(
  t: ReturnType<typeof startCommit>,
  indexes: readonly number[],
  votes: Parameters<typeof acceptedFast>[2],
) {
  for (const index of indexes) t.deliver(acceptedFast(t.tid, index, votes));
}

const applied = (tid: string, item: number, replica: number, holds: boolean): TxMessage => ({
  type: "txApplied",
  tid,
  item,
  replica,
  holds,
});

describe("the TM (docs/transactions.md §5)", () => {
  it("the TM sends prepares to every replica and the log to its rTMs at once", () => {
    const t = startCommit([write("a", 0, "x"), write("b", 2, "y")]);
    const prepares = t.env.sentOf("txPrepare");
    assert.equal(prepares.length, 2 * F);
    for (const p of prepares) {
      assert.equal(p.msg.replicaId, replicasOf(p.msg.entry.key)[p.msg.replica]);
      assert.equal(p.to.addr, responsible(p.msg.replicaId).addr, "to the replica's owner");
      assert.deepEqual(p.msg.acceptors, acceptorsOf(0));
    }
    const inits = t.env.sentOf("txInit");
    assert.deepEqual(
      inits.map((s) => [s.to.addr, s.msg.index]),
      [
        ["node:4", 1],
        ["node:8", 2],
        ["node:12", 3],
      ],
    );
    assert.ok(
      [...prepares, ...inits].every((s) => s.atMs === 0),
      "all in the same handler",
    );
    assert.deepEqual(
      t.env.timersOf("txVoteTimeout").map((x) => x.dueMs),
      [CONFIG.voteTimeoutMs],
    );
    assert.deepEqual(
      t.env.timersOf("txDeadline").map((x) => x.dueMs),
      [CONFIG.deadlineMs],
    );
  });

  it("an instance is decided only by a majority of the acceptors", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1], allInstances(1, "prepared"));
    assert.equal(t.env.sentOf("txFinal").length, 0, "two of four acceptors decide nothing");
    acceptances(t, [1], allInstances(1, "prepared"));
    assert.equal(t.env.sentOf("txFinal").length, 0, "an acceptor counts once, however often it says so");
    acceptances(t, [3], allInstances(1, "prepared"));
    assert.equal(t.env.sentOf("txFinal").length, F, "three of four decide");
    assert.ok(t.env.sentOf("txFinal").every((s) => s.msg.commit));
  });

  it("the TM decides commit only when every item is prepared by a majority of its replicas", () => {
    const t = startCommit([write("a", 0, "x"), write("b", 0, "y")]);
    // item 0: replicas 0-2 prepared; item 1: replicas 4, 5 (its 0 and 1) prepared, 6 and 7 unknown
    acceptances(
      t,
      [0, 1, 2],
      [
        [0, "prepared"],
        [1, "prepared"],
        [2, "prepared"],
        [4, "prepared"],
        [5, "prepared"],
      ],
    );
    assert.equal(t.env.sentOf("txFinal").length, 0, "item 1 is not prepared by a majority yet");
    acceptances(t, [0, 1, 2], [[6, "prepared"]]);
    const finals = t.env.sentOf("txFinal");
    assert.equal(finals.length, 2 * F);
    assert.ok(finals.every((s) => s.msg.commit));
  });

  it("an item is aborted once f − majority + 1 of its replicas decide abort, and the client hears it at once", () => {
    const t = startCommit([write("a", 0, "x"), write("b", 0, "y")]);
    t.deliver({
      type: "txVote",
      tid: t.tid,
      instance: 1,
      vote: "abort",
      reason: "read a stale version",
      keys: ["a", "b"],
      acceptors: acceptorsOf(0),
    });
    acceptances(t, [1, 2, 3], [[0, "abort"]]);
    assert.equal(t.outcomes.length, 0, "one aborted replica of four: item a may still be prepared");
    acceptances(t, [1, 2, 3], [[1, "abort"]]);
    assert.deepEqual(t.outcomes, [
      { ok: true, committed: false, tid: t.tid, conflicts: ["a"], reason: "read a stale version" },
    ]);
    assert.ok(t.env.sentOf("txFinal").every((s) => !s.msg.commit));
  });

  it("a commit is answered once a majority of every item's replicas holds it", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1, 2], allInstances(1, "prepared"));
    assert.equal(t.outcomes.length, 0, "decided, not yet applied");
    t.deliver(applied(t.tid, 0, 0, true));
    t.deliver(applied(t.tid, 0, 1, true));
    assert.equal(t.outcomes.length, 0, "two of four replicas hold it");
    t.deliver(applied(t.tid, 0, 3, true));
    assert.deepEqual(t.outcomes, [{ ok: true, committed: true, tid: t.tid }]);
  });

  it("a replica that does not hold the commit does not count: with none holding it the client hears timeout", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1, 2], allInstances(1, "prepared"));
    for (let r = 0; r < F; r++) t.deliver(applied(t.tid, 0, r, false));
    t.env.advance(CONFIG.deadlineMs - 1, t.process);
    assert.equal(t.outcomes.length, 0);
    t.env.advance(1, t.process);
    assert.equal(t.outcomes.length, 1);
    assert.equal(t.outcomes[0]?.ok, false);
    assert.equal(t.outcomes[0]?.ok === false && t.outcomes[0].code, "timeout");
  });

  it("an empty transaction commits at once", () => {
    const t = startCommit([]);
    assert.equal(t.env.sent.length, 0, "nothing to prepare, no rTM to look up");
    t.env.advance(0, t.process);
    assert.equal(t.outcomes.length, 1);
    assert.equal(t.outcomes[0]?.ok && t.outcomes[0].committed, true);
  });

  it("a commit whose rTMs cannot be found answers unavailable once the setup time is spent", () => {
    const c = coordinatorAt(0);
    c.ring.failing = true;
    const outcomes: TxOutcome[] = [];
    c.tx.commit([write("a", 0, "x")], (o) => outcomes.push(o));
    c.ring.settle();
    const retries = Math.ceil(CONFIG.setupTimeoutMs / CONFIG.voteTimeoutMs) - 1;
    c.env.advance(retries * CONFIG.voteTimeoutMs - 1, c.process);
    assert.equal(outcomes.length, 0, "still retrying the lookup");
    c.env.advance(1, c.process);
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]?.ok === false && outcomes[0].code, "unavailable");
    assert.equal(c.env.sentOf("txPrepare").length, 0, "no lock was taken anywhere");
  });

  it("a client with no outcome by the deadline hears timeout, the outcome unknown", () => {
    const t = startCommit([write("a", 0, "x")]);
    t.env.advance(CONFIG.deadlineMs, t.process);
    assert.equal(t.outcomes.length, 1);
    const o = t.outcomes[0];
    assert.ok(
      o !== undefined && !o.ok && o.code === "timeout" && /unknown/.test(o.message),
      JSON.stringify(o),
    );
  });

  it("a misrouted prepare is sent again through the overlay", () => {
    const t = startCommit([write("a", 0, "x")]);
    const lookups = t.ring.lookups;
    t.env.drain();
    t.deliver({ type: "txMisrouted", tid: t.tid, item: 0, replica: 2 });
    const again = t.env.sentOf("txPrepare");
    assert.equal(again.length, 1);
    assert.equal(again[0]?.msg.replica, 2);
    assert.equal(t.ring.lookups, lookups + 1, "routed by a lookup, not the cached owner");
  });

  it("the TM's voting period ending undecided starts a ballot of its own over every instance", () => {
    const t = startCommit([write("a", 0, "x"), write("b", 0, "y")]);
    t.env.advance(CONFIG.voteTimeoutMs - 1, t.process);
    assert.equal(t.env.sentOf("txBallot").length, 0);
    t.env.advance(1, t.process);
    const ballots = t.env.sentOf("txBallot");
    assert.deepEqual(
      ballots.map((s) => s.to.addr),
      acceptorsOf(0).map((a) => a.addr),
    );
    assert.ok(
      ballots.every((s) => s.msg.ballot === 1 && s.msg.keys.join() === "a,b"),
      "ballot 1: index 0's first",
    );
  });

  it("the decider tells the other acceptors the decision", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1, 2], allInstances(1, "prepared"));
    const decided = t.env.sentOf("txDecided");
    assert.deepEqual(
      decided.map((s) => s.to.addr),
      ["node:4", "node:8", "node:12"],
    );
    assert.ok(decided.every((s) => s.msg.commit));
  });

  it("a TM that hears another acceptor's decision answers its client with it", () => {
    const t = startCommit([write("a", 0, "x")]);
    t.deliver({ type: "txDecided", tid: t.tid, commit: false });
    assert.equal(t.outcomes.length, 1);
    assert.equal(t.outcomes[0]?.ok && t.outcomes[0].committed, false);
    t.env.advance(CONFIG.voteTimeoutMs, t.process);
    assert.equal(t.env.sentOf("txBallot").length, 0, "decided: no ballot of its own");
  });
});

describe("delivering final (docs/transactions.md §5, §9)", () => {
  it("a final is resent until applied, only to the replicas that have not answered", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1, 2], allInstances(1, "prepared"));
    t.deliver(applied(t.tid, 0, 0, true));
    t.deliver(applied(t.tid, 0, 1, true));
    t.env.drain();
    t.env.advance(CONFIG.finalResendMs, t.process);
    assert.deepEqual(
      t.env.sentOf("txFinal").map((s) => s.msg.replica),
      [2, 3],
    );
    t.deliver(applied(t.tid, 0, 2, true));
    t.deliver(applied(t.tid, 0, 3, true));
    t.env.drain();
    t.env.advance(10 * CONFIG.finalResendMs, t.process);
    assert.equal(t.env.sentOf("txFinal").length, 0, "every replica applied it: no more resends");
  });

  it("a final is sent finalAttempts times at most, then the client hears the decision", () => {
    const t = startCommit([write("a", 0, "x")]);
    acceptances(t, [0, 1, 2], allInstances(1, "prepared"));
    t.env.advance(CONFIG.finalAttempts * CONFIG.finalResendMs - 1, t.process);
    assert.equal(t.outcomes.length, 0);
    t.env.advance(1, t.process);
    assert.equal(t.env.sentOf("txFinal").length, CONFIG.finalAttempts * F);
    assert.deepEqual(t.outcomes, [{ ok: true, committed: true, tid: t.tid }]);
    t.env.advance(10 * CONFIG.finalResendMs, t.process);
    assert.equal(t.env.sentOf("txFinal").length, CONFIG.finalAttempts * F, "given up");
  });
});
