// Every fault hook of the transaction layer scripted on (docs/transactions.md §9; the hooks are the
// losses, duplicates and early timers the network or the protocol's bounds allow): one component at a
// time through the recording Env, checking that the outcome stays what the protocol promises.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStorePort } from "../../src/store/store-port.js";
import type { TxEntry, Vote } from "../../src/tx/tx-lock.js";
import type { AcceptedVote, TxMessage, TxTimer } from "../../src/tx/tx-messages.js";
import type { TxOutcome } from "../../src/tx/tx-outcome.js";
import { TxParticipant } from "../../src/tx/tx-participant.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import {
  acceptedFast,
  acceptorsOf,
  allInstances,
  CONFIG,
  coordinatorAt,
  F,
  FakeRing,
  ids,
  node,
  ROUND,
  replicasOf,
  responsible,
  write,
} from "./fixtures.js";

const LOG: readonly TxEntry[] = [write("a", 0, "x")];

/** Node `k`'s coordinator with fault-hook `site` on; `deliver` settles the lookups it asks. */
function withHook(k: number, site: string) {
  const c = coordinatorAt(k);
  c.env.buggifySites.add(site);
  const deliver = (msg: TxMessage, from = node(4)) => {
    c.tx.onMessage(from, msg);
    c.ring.settle();
  };
  return { ...c, deliver };
}

/** A commit of LOG on `c` (node 0); its tid and what its client hears. */
function commitOn(c: ReturnType<typeof withHook>) {
  const outcomes: TxOutcome[] = [];
  c.tx.commit(LOG, (o) => outcomes.push(o));
  c.ring.settle();
  const tid = c.env.sentOf("txInit")[0]?.msg.tid ?? "";
  return { tid, outcomes };
}

const applied = (tid: string, replica: number): TxMessage => ({
  type: "txApplied",
  tid,
  item: 0,
  replica,
  holds: true,
});
const fast = (votes: readonly Vote[]): AcceptedVote[] =>
  votes.map((vote, instance) => ({ instance, ballot: 0, vote }));

describe("fault hooks (docs/transactions.md §9)", () => {
  it("tx.final.drop: a final lost at the decision reaches every replica by the resends, and the client hears the commit", () => {
    const c = withHook(0, "tx.final.drop");
    const { tid, outcomes } = commitOn(c);
    for (const i of [0, 1, 2]) c.deliver(acceptedFast(tid, i, allInstances(1, "prepared")));
    assert.equal(c.env.sentOf("txFinal").length, 0, "every final lost");
    c.env.buggifySites.delete("tx.final.drop");
    c.env.advance(CONFIG.finalResendMs, c.process);
    const finals = c.env.sentOf("txFinal");
    assert.deepEqual(
      finals.map((s) => s.msg.replica),
      [0, 1, 2, 3],
    );
    assert.ok(finals.every((s) => s.msg.commit && s.to.addr === responsible(s.msg.replicaId).addr));
    for (const r of [0, 1, 2]) c.deliver(applied(tid, r));
    assert.deepEqual(outcomes, [{ ok: true, committed: true, tid }]);
  });

  it("tx.final.duplicate: every final goes twice, and the client hears once", () => {
    const c = withHook(0, "tx.final.duplicate");
    const { tid, outcomes } = commitOn(c);
    for (const i of [0, 1, 2]) c.deliver(acceptedFast(tid, i, allInstances(1, "prepared")));
    assert.equal(c.env.sentOf("txFinal").length, 2 * F);
    for (const r of [0, 1, 2, 0, 1, 2]) c.deliver(applied(tid, r));
    assert.deepEqual(outcomes, [{ ok: true, committed: true, tid }]);
  });

  it("tx.final.duplicate at a TP: the second copy of a commit changes nothing", () => {
    const key = "a";
    const replicaId = replicasOf(key)[0] ?? 0n;
    const ring = new FakeRing(Number(responsible(replicaId).addr.split(":")[1]));
    const env = new RecordingEnv<TxMessage, TxTimer>(ring.self);
    const port = new MemoryStorePort(ids);
    const tp = new TxParticipant(env, ids, CONFIG, port, ring, { serves: () => true });
    const base = { tid: "t1", item: 0, replica: 0, replicaId };
    tp.onMessage(node(0), {
      type: "txPrepare",
      ...base,
      entry: write(key, 0, "x"),
      keys: [key],
      round: ROUND,
      acceptors: acceptorsOf(0),
    });
    const final: TxMessage = { type: "txFinal", ...base, commit: true, key };
    tp.onMessage(node(0), final);
    tp.onMessage(node(0), final);
    assert.equal(port.get(replicaId, key)?.version, 1);
    assert.equal(port.get(replicaId, key)?.value, "x");
  });

  it("tx.accepted.duplicate: an acceptor's bundle goes twice, and two acceptors' copies decide nothing", () => {
    const acceptor = withHook(4, "tx.accepted.duplicate");
    for (let i = 0; i < F; i++)
      acceptor.deliver({
        type: "txVote",
        tid: "1000.1",
        instance: i,
        vote: "prepared",
        reason: "",
        keys: ["a"],
        acceptors: acceptorsOf(0),
      });
    assert.equal(acceptor.env.sentOf("txAccepted").length, 2, "the bundle, twice");
    const tm = withHook(0, "none");
    const { tid, outcomes } = commitOn(tm);
    for (const i of [0, 1, 0, 1]) tm.deliver(acceptedFast(tid, i, allInstances(1, "prepared")));
    assert.equal(tm.env.sentOf("txFinal").length, 0, "four copies from two acceptors: no majority");
    tm.deliver(acceptedFast(tid, 3, allInstances(1, "prepared")));
    assert.equal(tm.env.sentOf("txFinal").length, F);
    assert.equal(outcomes.length, 0);
  });

  it("tx.promise.duplicate: an acceptor's promise goes twice, and two acceptors' copies make no proposal", () => {
    const acceptor = withHook(4, "tx.promise.duplicate");
    acceptor.deliver(
      { type: "txBallot", tid: "1000.1", ballot: 3, keys: ["a"], acceptors: acceptorsOf(0) },
      node(8),
    );
    assert.equal(acceptor.env.sentOf("txPromise").length, 2);
    const leader = withHook(8, "none");
    leader.deliver(
      { type: "txInit", tid: "1000.1", index: 2, acceptors: acceptorsOf(0), log: LOG, round: ROUND },
      node(0),
    );
    leader.env.advance(CONFIG.takeoverMs + 2 * CONFIG.electMs, leader.process);
    const promise = (index: number): TxMessage => ({
      type: "txPromise",
      tid: "1000.1",
      index,
      ballot: 3,
      ok: true,
      promised: 3,
      accepted: [],
    });
    for (const index of [1, 1, 3, 3]) leader.deliver(promise(index), node(4 * index));
    assert.equal(leader.env.sentOf("txAccept").length, 0, "two acceptors, however often");
    leader.deliver(promise(0), node(0));
    assert.equal(leader.env.sentOf("txAccept").length, F);
  });

  it("tx.vote.resend: a TP's vote goes to every acceptor twice, and an acceptor accepts it once", () => {
    const key = "a";
    const replicaId = replicasOf(key)[0] ?? 0n;
    const ring = new FakeRing(Number(responsible(replicaId).addr.split(":")[1]));
    const env = new RecordingEnv<TxMessage, TxTimer>(ring.self);
    env.buggifySites.add("tx.vote.resend");
    const tp = new TxParticipant(env, ids, CONFIG, new MemoryStorePort(ids), ring, { serves: () => true });
    tp.onMessage(node(0), {
      type: "txPrepare",
      tid: "1000.1",
      item: 0,
      replica: 0,
      replicaId,
      entry: write(key, 0, "x"),
      keys: [key],
      round: ROUND,
      acceptors: acceptorsOf(0),
    });
    const votes = env.sentOf("txVote");
    assert.equal(votes.length, 2 * F);
    const acceptor = withHook(4, "none");
    for (const v of votes.filter((s) => s.to.addr === "node:4")) acceptor.deliver(v.msg, ring.self);
    acceptor.env.advance(CONFIG.bundleWaitMs, acceptor.process);
    const bundles = acceptor.env.sentOf("txAccepted");
    assert.deepEqual(
      bundles.map((s) => s.msg.votes.length),
      [1],
    );
  });

  it("tx.takeover.early: an rTM that takes over from a live TM keeps the commit the TM decided, though one promise lacks the votes", () => {
    // The TM decides commit on the fast path: acceptors 0, 1 and 2 accepted every prepared vote at ballot 0.
    const tm = withHook(0, "none");
    const { tid } = commitOn(tm);
    for (const i of [0, 1, 2]) tm.deliver(acceptedFast(tid, i, allInstances(1, "prepared")));
    const tmDecision = tm.env.sentOf("txFinal").map((s) => s.msg.commit);
    assert.deepEqual(tmDecision, [true, true, true, true]);
    const init = tm.env.sentOf("txInit").find((s) => s.msg.index === 2)?.msg;
    assert.ok(init !== undefined);
    // Acceptor 2's rTM suspects the live TM at once and leads ballot 3.
    const r = withHook(8, "tx.takeover.early");
    r.deliver(init, node(0));
    r.env.advance(2 * CONFIG.electMs, r.process);
    assert.equal(r.env.sentOf("txBallot").length, F, "after index·electMs only");
    // A majority promises; acceptor 3, which never got the votes, answers first and holds nothing.
    // Any majority meets the fast majority {0, 1, 2}: the leader must find the chosen votes and keep them.
    r.deliver({ type: "txPromise", tid, index: 3, ballot: 3, ok: true, promised: 3, accepted: [] }, node(12));
    for (const index of [0, 1])
      r.deliver(
        {
          type: "txPromise",
          tid,
          index,
          ballot: 3,
          ok: true,
          promised: 3,
          accepted: fast(["prepared", "prepared", "prepared", "prepared"]),
        },
        node(4 * index),
      );
    const proposal = r.env.sentOf("txAccept")[0]?.msg.votes.map((v) => v.vote);
    assert.deepEqual(proposal, ["prepared", "prepared", "prepared", "prepared"]);
    for (const index of [0, 1, 3])
      r.deliver({ type: "txAccepted", tid, index, ballot: 3, votes: [] }, node(4 * index));
    assert.deepEqual(
      r.env.sentOf("txFinal").map((s) => s.msg.commit),
      tmDecision,
      "the early rTM decides what the TM decided",
    );
  });

  it("tx.voteTimeout.early: a TM that leads before the votes arrive aborts, and never commits without them", () => {
    const c = withHook(0, "tx.voteTimeout.early");
    const { tid, outcomes } = commitOn(c);
    c.env.advance(0, c.process);
    assert.equal(c.env.sentOf("txBallot").length, F, "a ballot of its own at once");
    // The TM is acceptor 0 too: its own promise, then a TP's vote that comes too late.
    const ballot = c.env.sentOf("txBallot")[0]?.msg;
    assert.ok(ballot !== undefined);
    c.deliver(ballot, node(0));
    c.deliver({
      type: "txVote",
      tid,
      instance: 0,
      vote: "prepared",
      reason: "",
      keys: ["a"],
      acceptors: acceptorsOf(0),
    });
    c.env.advance(CONFIG.bundleWaitMs, c.process);
    assert.equal(c.env.sentOf("txAccepted").length, 0, "the vote after the promise is refused");
    for (const index of [0, 1, 2])
      c.deliver(
        { type: "txPromise", tid, index, ballot: 1, ok: true, promised: 1, accepted: [] },
        node(4 * index),
      );
    assert.ok(c.env.sentOf("txAccept")[0]?.msg.votes.every((v) => v.vote === "abort"));
    for (const index of [0, 1, 2])
      c.deliver({ type: "txAccepted", tid, index, ballot: 1, votes: [] }, node(4 * index));
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]?.ok && outcomes[0].committed, false);
  });

  it("tx.decided.drop: an rTM that never hears the decision takes over and decides the same", () => {
    const tm = withHook(0, "tx.decided.drop");
    const { tid } = commitOn(tm);
    for (const i of [0, 1, 2]) tm.deliver(acceptedFast(tid, i, allInstances(1, "prepared")));
    assert.equal(tm.env.sentOf("txDecided").length, 0, "the decision is lost on the way to every rTM");
    assert.ok(tm.env.sentOf("txFinal").every((s) => s.msg.commit));
    const init = tm.env.sentOf("txInit").find((s) => s.msg.index === 2)?.msg;
    assert.ok(init !== undefined);
    const r = withHook(8, "none");
    r.deliver(init, node(0));
    r.env.advance(CONFIG.takeoverMs + 2 * CONFIG.electMs, r.process);
    // The promises of acceptors 3, 1 and 2, in that order: 3 never accepted the votes, 1 and 2 did (the
    // decision was lost, not the fast accepts). The rTM must recover the commit from the two that hold it.
    r.deliver({ type: "txPromise", tid, index: 3, ballot: 3, ok: true, promised: 3, accepted: [] }, node(12));
    for (const index of [1, 2])
      r.deliver(
        {
          type: "txPromise",
          tid,
          index,
          ballot: 3,
          ok: true,
          promised: 3,
          accepted: fast(["prepared", "prepared", "prepared", "prepared"]),
        },
        node(4 * index),
      );
    for (const index of [1, 2, 3])
      r.deliver({ type: "txAccepted", tid, index, ballot: 3, votes: [] }, node(4 * index));
    assert.deepEqual(
      r.env.sentOf("txFinal").map((s) => s.msg.commit),
      tm.env.sentOf("txFinal").map((s) => s.msg.commit),
      "the rTM decides what the TM decided",
    );
    assert.equal(r.env.sentOf("txFinal").length, F);
  });
});
