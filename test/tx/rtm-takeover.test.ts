// rTM takeover and ballots, one rule per test (docs/transactions.md §8, §9): a TxCoordinator on node 8,
// rTM 2 of node 0's transaction, driven through the recording Env; the test plays the TM, the other
// acceptors and the clock. rTM 2's ballots are 3, 8, 13, ... (j+1 + k(f+1)).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextBallot } from "../../src/tx/paxos-acceptor.js";
import type { Vote } from "../../src/tx/tx-lock.js";
import type { AcceptedVote, TxMessage } from "../../src/tx/tx-messages.js";
import { acceptorsOf, CONFIG, coordinatorAt, F, node, ROUND, write } from "./fixtures.js";

const TID = "1000.1";
const LOG = [write("a", 0, "x")];

/** Node 4·index: rTM `index` of node 0's transaction TID, told of it by `txInit`. */
function rtm(index = 2) {
  const c = coordinatorAt(4 * index);
  const deliver = (msg: TxMessage, from = node(0)) => {
    c.tx.onMessage(from, msg);
    c.ring.settle();
  };
  deliver({ type: "txInit", tid: TID, index, acceptors: acceptorsOf(0), log: LOG, round: ROUND });
  const takeoverMs = CONFIG.takeoverMs + index * CONFIG.electMs;
  const promiseFrom = (
    from: number,
    ballot: number,
    accepted: readonly AcceptedVote[] = [],
    ok = true,
    promised = ballot,
  ) => deliver({ type: "txPromise", tid: TID, index: from, ballot, ok, promised, accepted }, node(4 * from));
  const acceptedFrom = (from: number, ballot: number) =>
    deliver({ type: "txAccepted", tid: TID, index: from, ballot, votes: [] }, node(4 * from));
  return { ...c, deliver, takeoverMs, promiseFrom, acceptedFrom };
}

const fast = (votes: readonly Vote[]): AcceptedVote[] =>
  votes.map((vote, instance) => ({ instance, ballot: 0, vote }));

describe("rTM takeover (docs/transactions.md §8)", () => {
  it("an rTM that suspects the TM takes over after takeoverMs + index·electMs and proposes abort for an instance with no accepted value", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs - 1, r.process);
    assert.equal(r.env.sentOf("txBallot").length, 0, "not before its time");
    r.env.advance(1, r.process);
    const ballots = r.env.sentOf("txBallot");
    assert.deepEqual(
      ballots.map((s) => [s.to.addr, s.msg.ballot]),
      acceptorsOf(0).map((a) => [a.addr, 3]),
    );
    r.promiseFrom(0, 3, fast(["prepared", "prepared"]));
    r.promiseFrom(1, 3, []);
    assert.equal(r.env.sentOf("txAccept").length, 0, "two promises of four: no proposal");
    r.promiseFrom(3, 3, []);
    const accepts = r.env.sentOf("txAccept");
    assert.equal(accepts.length, F, "to every acceptor");
    assert.deepEqual(
      accepts[0]?.msg.votes.map((v) => v.vote),
      ["prepared", "prepared", "abort", "abort"],
    );
  });

  it("a lower-indexed rTM takes over first: rTM j waits index·electMs longer than rTM j−1", () => {
    const first = rtm(1);
    const third = rtm(3);
    first.env.advance(CONFIG.takeoverMs + CONFIG.electMs, first.process);
    third.env.advance(CONFIG.takeoverMs + CONFIG.electMs, third.process);
    assert.equal(first.env.sentOf("txBallot").length, F);
    assert.equal(third.env.sentOf("txBallot").length, 0);
    third.env.advance(2 * CONFIG.electMs, third.process);
    assert.equal(third.env.sentOf("txBallot")[0]?.msg.ballot, nextBallot(3, F, 0));
  });

  it("a leader proposes, per instance, the vote accepted with the highest ballot", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs, r.process);
    r.promiseFrom(0, 3, fast(["prepared", "prepared", "prepared", "prepared"]));
    r.promiseFrom(1, 3, [{ instance: 0, ballot: 2, vote: "abort" }]);
    r.promiseFrom(3, 3, fast(["prepared", "abort", "abort", "prepared"]));
    const votes = r.env.sentOf("txAccept")[0]?.msg.votes.map((v) => v.vote);
    assert.deepEqual(votes?.[0], "abort", "instance 0: ballot 2 beats ballot 0");
    assert.equal(votes?.length, F);
  });

  it("a leader decides once a majority accepted its ballot, and delivers final itself", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs, r.process);
    for (const i of [0, 1, 3]) r.promiseFrom(i, 3, fast(["prepared", "prepared", "prepared", "prepared"]));
    r.acceptedFrom(0, 3);
    r.acceptedFrom(1, 3);
    assert.equal(r.env.sentOf("txFinal").length, 0, "two acceptances of four");
    r.acceptedFrom(3, 3);
    const finals = r.env.sentOf("txFinal");
    assert.equal(finals.length, F);
    assert.ok(finals.every((s) => s.msg.commit));
    assert.deepEqual(
      r.env.sentOf("txDecided").map((s) => s.to.addr),
      ["node:0", "node:4", "node:12"],
    );
  });

  it("acceptances of an older ballot do not count", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs, r.process);
    for (const i of [0, 1, 3]) r.promiseFrom(i, 3);
    r.env.advance(CONFIG.voteTimeoutMs + 2 * CONFIG.electMs, r.process); // undecided: ballot 8
    assert.equal(r.env.sentOf("txBallot").at(-1)?.msg.ballot, 8);
    for (const i of [0, 1, 3]) r.acceptedFrom(i, 3);
    assert.equal(r.env.sentOf("txFinal").length, 0);
  });

  it("a refused ballot is retried above the highest promise seen", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs, r.process);
    r.promiseFrom(0, 3, [], false, 9);
    r.env.advance(CONFIG.voteTimeoutMs + 2 * CONFIG.electMs, r.process);
    const next = r.env.sentOf("txBallot").at(-1)?.msg.ballot;
    assert.equal(next, nextBallot(2, F, 9));
    assert.ok(next !== undefined && next > 9);
  });

  it("an rTM that hears the decision does not take over", () => {
    const r = rtm(2);
    r.deliver({ type: "txDecided", tid: TID, commit: true });
    r.env.advance(10 * r.takeoverMs, r.process);
    assert.equal(r.env.sentOf("txBallot").length, 0);
  });

  it("an acceptor that knows the outcome answers a leader's ballot with it, not a promise", () => {
    const r = rtm(2);
    r.deliver({ type: "txDecided", tid: TID, commit: false });
    r.deliver(
      { type: "txBallot", tid: TID, ballot: 2, keys: ["a"], acceptors: acceptorsOf(0) },
      node(4), // rTM 1 missed the decision
    );
    assert.equal(r.env.sentOf("txPromise").length, 0);
    assert.deepEqual(
      r.env.sentOf("txDecided").map((s) => [s.to.addr, s.msg.commit]),
      [["node:4", false]],
    );
  });

  it("a leader told the outcome in answer to its ballot stops leading and answers asks with it", () => {
    const r = rtm(2);
    r.env.advance(r.takeoverMs, r.process);
    assert.equal(r.env.sentOf("txBallot").length, F);
    r.deliver({ type: "txDecided", tid: TID, commit: true }, node(12));
    r.env.drain();
    r.env.advance(10 * r.takeoverMs, r.process);
    assert.equal(r.env.sentOf("txBallot").length, 0, "decided: no further ballot");
    r.deliver({ type: "txAsk", tid: TID, key: "a", replicaId: 77n }, node(6));
    assert.deepEqual(
      r.env.sentOf("txFinal").map((s) => [s.to.addr, s.msg.commit]),
      [["node:6", true]],
    );
  });

  it("an acceptor that knows the outcome answers a locked replica's ask with final", () => {
    const r = rtm(2);
    r.deliver({ type: "txDecided", tid: TID, commit: false });
    r.deliver({ type: "txAsk", tid: TID, key: "a", replicaId: 77n }, node(6));
    assert.deepEqual(
      r.env.sentOf("txFinal").map((s) => [s.to.addr, s.msg.commit, s.msg.item, s.msg.replicaId]),
      [["node:6", false, -1, 77n]],
    );
  });

  it("an acceptor that does not know the outcome of an old transaction leads a ballot when asked", () => {
    const c = coordinatorAt(8);
    const ask = () => c.tx.onMessage(node(6), { type: "txAsk", tid: TID, key: "a", replicaId: 77n });
    c.tx.onMessage(node(6), {
      type: "txVote",
      tid: TID,
      instance: 0,
      vote: "prepared",
      reason: "",
      keys: ["a"],
      acceptors: acceptorsOf(0),
    });
    ask();
    assert.equal(c.env.sentOf("txBallot").length, 0, "young: its TM may still decide");
    c.env.advance(CONFIG.takeoverMs + 1, c.process);
    ask();
    assert.equal(c.env.sentOf("txBallot").length, F);
  });
});
