// Hand-over on join and leave, rule by rule (docs/replication.md §3, §4; src/store/hand-over.ts): one node's
// ReplicaStore on a scripted ring; the test is the joiner, the leaver and the network.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_STORE, HANDOVER_ATTEMPTS } from "../../src/store/store-config.js";
import { handover, iv, type MessageOf, ref, StoreRig, sentMsgs } from "./rig.js";

const WAIT_MS = 5000;
const RESEND_MS = WAIT_MS / (HANDOVER_ATTEMPTS + 1);
const REPAIR_RETRY_MS = DEFAULT_STORE.repairRetryMs;
const P = ref(40);
const S = ref(200);
const J = ref(100);
const SUCC = ref(250);

const span = (m: { from: bigint; to: bigint }) => [Number(m.from), Number(m.to)];
const handovers = (rig: StoreRig) => sentMsgs(rig.env, "handover");
const ack = (msg: MessageOf<"handover">): MessageOf<"handoverAck"> => ({
  type: "handoverAck",
  transfer: msg.transfer,
});

/** Node S at 200 owning (40, 200], with items at 60 and 150; J joins at 100. */
function senderWithJoiner(): { rig: StoreRig; first: MessageOf<"handover"> } {
  const rig = new StoreRig(S, P, SUCC);
  rig.put(60);
  rig.put(150);
  rig.predChange(J, "joiner");
  const first = handovers(rig)[0];
  assert.ok(first !== undefined, "a hand-over went out");
  return { rig, first };
}

/** Node J at 100 that has just joined between 40 and S (its successor, whose hand-over it awaits). */
function joiner(): StoreRig {
  const rig = new StoreRig(J, null, S);
  rig.predChange(P, "joined");
  return rig;
}

describe("hand-over: the sender", () => {
  it("a joiner's range is handed over to it and resent until acked", () => {
    const { rig, first } = senderWithJoiner();
    assert.equal(rig.env.sentOf("handover")[0]?.to.addr, "n100");
    assert.deepEqual(span(first), [40, 100]);
    assert.deepEqual(
      first.items.map((i) => Number(i.replicaId)),
      [60],
      "only the items of the joiner's range",
    );
    rig.advance(RESEND_MS);
    assert.equal(handovers(rig).length, 2, "resent after a quarter of the wait");
    assert.equal(handovers(rig)[1]?.transfer, first.transfer, "as the same transfer");
    rig.deliver(J, ack(first));
    rig.advance(WAIT_MS);
    assert.equal(handovers(rig).length, 2, "no resend after the ack");
  });

  it("the sender keeps its copy until the ack, then deletes only what it no longer owns", () => {
    const { rig, first } = senderWithJoiner();
    rig.advance(RESEND_MS * 2);
    assert.ok(rig.has(60), "kept while unacknowledged");
    rig.deliver(J, ack(first));
    assert.ok(!rig.has(60), "deleted after the ack");
    assert.ok(rig.has(150), "what it still owns stays");
  });

  it(`a hand-over is sent at most ${HANDOVER_ATTEMPTS} times, all before the receiver's wait runs out`, () => {
    const { rig } = senderWithJoiner();
    rig.advance(WAIT_MS - 1);
    assert.equal(handovers(rig).length, HANDOVER_ATTEMPTS);
    rig.advance(WAIT_MS * 3);
    assert.equal(handovers(rig).length, HANDOVER_ATTEMPTS);
    assert.ok(rig.has(60), "an unacknowledged range stays");
  });

  it("a graceful leave hands the whole range to the successor", () => {
    const rig = new StoreRig(S, P, SUCC);
    rig.put(60);
    rig.put(150);
    rig.store.handOverAll();
    const [sent] = rig.env.sentOf("handover");
    assert.equal(sent?.to.addr, "n250");
    assert.deepEqual(sent === undefined ? null : span(sent.msg), [40, 200]);
    assert.equal(sent?.msg.items.length, 2);
  });

  it("a resent hand-over still names the parts its sender had incomplete", () => {
    // S joined at 200 and awaits (40, 200] from its successor; J joins before that hand-over came.
    const rig = new StoreRig(S, null, SUCC);
    rig.predChange(P, "joined");
    rig.predChange(J, "joiner");
    const [first] = handovers(rig);
    assert.deepEqual(first?.gaps.map(span), [[40, 100]], "the first send names the gap");
    rig.advance(RESEND_MS);
    const [, resent] = handovers(rig);
    assert.deepEqual(resent?.gaps.map(span), [[40, 100]], "so does the resend, after S's range shrank");
  });

  it("a hand-over that reaches a node late is passed on to whom it gave the range", () => {
    const rig = new StoreRig(S, null, SUCC);
    rig.predChange(P, "joined");
    rig.predChange(J, "joiner");
    const [incomplete] = handovers(rig);
    assert.ok(incomplete !== undefined);
    rig.deliver(J, ack(incomplete));
    // S's own hand-over arrives late, complete.
    const item = rig.put(60);
    rig.port.delete(item.replicaId, item.key);
    rig.deliver(SUCC, handover(7, 40, 200, [item]));
    const passed = handovers(rig).slice(1);
    assert.equal(passed.length, 1);
    assert.equal(rig.env.sentOf("handover").at(-1)?.to.addr, "n100");
    assert.deepEqual(passed[0] === undefined ? null : span(passed[0]), [40, 100]);
    assert.deepEqual(passed[0]?.gaps, [], "complete now");
    assert.deepEqual(
      passed[0]?.items.map((i) => Number(i.replicaId)),
      [60],
    );
    assert.deepEqual(rig.unsynced(), [], "S's own part settled too");
  });

  it("a late hand-over for a transfer still in flight sends it again without the gap", () => {
    const rig = new StoreRig(S, null, SUCC);
    rig.predChange(P, "joined");
    rig.predChange(J, "joiner");
    const [incomplete] = handovers(rig);
    rig.deliver(SUCC, handover(7, 40, 200, []));
    const again = handovers(rig)[1];
    assert.equal(again?.transfer, incomplete?.transfer, "the same transfer");
    assert.deepEqual(again?.gaps, []);
  });

  it("a new hand-over supersedes an in-flight one it overlaps (the range came back meanwhile)", () => {
    const { rig, first } = senderWithJoiner();
    rig.predChange(P, "fix"); // J crashed: S owns (40, 200] again and repairs (40, 100]
    rig.predChange(ref(80), "joiner");
    const toJ = () => rig.env.sentOf("handover").filter((s) => s.to.addr === "n100").length;
    const before = toJ();
    rig.advance(WAIT_MS);
    assert.equal(toJ(), before, "no more resends to J");
    rig.deliver(J, ack(first));
    assert.ok(rig.has(60), "J's late ack deletes nothing the new transfer still resends");
  });

  it("fault hook store.handover.split: the range goes as two transfers, each acked on its own", () => {
    const rig = new StoreRig(S, P, SUCC);
    rig.env.buggifySites.add("store.handover.split");
    rig.put(50);
    rig.put(90);
    rig.predChange(J, "joiner");
    const pieces = handovers(rig);
    assert.deepEqual(pieces.map(span), [
      [40, 70],
      [70, 100],
    ]);
    assert.notEqual(pieces[0]?.transfer, pieces[1]?.transfer);
    const [a, b] = pieces;
    assert.ok(a !== undefined && b !== undefined);
    rig.deliver(J, ack(a));
    assert.ok(!rig.has(50) && rig.has(90), "the first half goes, the second waits for its own ack");
    rig.advance(RESEND_MS);
    assert.deepEqual(
      handovers(rig).slice(2).map(span),
      [[70, 100]],
      "only the unacknowledged half is resent",
    );
    rig.deliver(J, ack(b));
    assert.ok(!rig.has(90));
  });

  it("fault hook store.handover.ack-twice: a duplicate ack finds nothing to do", () => {
    const { rig, first } = senderWithJoiner();
    rig.deliver(J, ack(first));
    rig.put(60); // owned by J now; a second ack must not matter either way
    rig.deliver(J, ack(first));
    assert.ok(rig.has(60), "the second ack deleted nothing");
    assert.ok(rig.has(150));
  });
});

describe("hand-over: the receiver", () => {
  it("a joiner is unsynced until its hand-over arrives, then records its range as complete", () => {
    const rig = joiner();
    assert.deepEqual(rig.unsynced(), [[40, 100]]);
    assert.equal(rig.store.serves(60n), false);
    assert.equal(rig.claim(), null);
    const item = new StoreRig(S, P, SUCC).put(60);
    rig.deliver(S, handover(1, 40, 100, [item]));
    assert.deepEqual(rig.unsynced(), []);
    assert.equal(rig.store.serves(60n), true);
    assert.ok(rig.has(60));
    assert.deepEqual(sentMsgs(rig.env, "handoverAck"), [{ type: "handoverAck", transfer: 1 }]);
    assert.deepEqual(rig.claim(), [40, 100]);
  });

  it("a hand-over that arrived before the join is not waited for", () => {
    const rig = new StoreRig(J, null, S);
    rig.deliver(S, handover(1, 40, 100, []));
    rig.predChange(P, "joined");
    assert.deepEqual(rig.unsynced(), []);
  });

  it("a hand-over that does not arrive in time is repaired instead, and the range is not claimed meanwhile", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.advance(WAIT_MS - 1);
    assert.equal(sentMsgs(rig.env, "repairAsk").length, 0);
    rig.advance(1);
    assert.equal(sentMsgs(rig.env, "repairAsk").length, 3, "one ask per other replica class");
    assert.deepEqual(rig.unsynced(), [[40, 100]], "still unsynced, now repairing");
    assert.equal(rig.claim(), null, "never recorded as complete in between");
  });

  it("a hand-over that comes after its wait ran out settles the repair that replaced it", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.advance(WAIT_MS);
    rig.deliver(S, handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("a repair settled by its late hand-over stops asking", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.advance(WAIT_MS); // the wait runs out: repaired, unless S's hand-over comes after all
    const asked = sentMsgs(rig.env, "repairAsk").length;
    rig.deliver(S, handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), []);
    rig.advance(REPAIR_RETRY_MS * 3);
    assert.equal(sentMsgs(rig.env, "repairAsk").length, asked, "nothing left to repair, nothing asked");
  });

  it("a hand-over wait that runs out leaves a repair running in the same range unsynced", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined"); // awaits (40, 100] from S
    rig.predChange(ref(70), "joiner"); // (40, 70] goes to a joiner...
    rig.predChange(P, "fix"); // ...which crashes: (40, 70] is repaired
    rig.advance(WAIT_MS); // the wait for (70, 100] runs out
    const unsynced = rig.unsynced();
    assert.ok(
      unsynced.some(([from, to]) => from === 40 && to === 70),
      `the repair of (40, 70] still counts: ${JSON.stringify(unsynced)}`,
    );
    assert.equal(rig.store.serves(50n), false);
  });

  it("where the sender's own data was incomplete, the receiver repairs", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.deliver(S, handover(1, 40, 100, [], [iv(40, 70)]));
    assert.deepEqual(rig.unsynced(), [[40, 70]]);
    assert.equal(sentMsgs(rig.env, "repairAsk").length, 3);
  });

  it("a late hand-over settles the repair its sender caused, and only that sender's", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.deliver(S, handover(1, 40, 100, [], [iv(40, 70)]));
    rig.deliver(SUCC, handover(9, 40, 100, []));
    assert.deepEqual(rig.unsynced(), [[40, 70]], "another node's hand-over does not settle it");
    rig.deliver(S, handover(2, 40, 100, []));
    assert.deepEqual(rig.unsynced(), [], "the passed-on data from S does");
  });

  it("a hand-over received counts only until its range is handed on: a range that comes back waits again", () => {
    const rig = new StoreRig(S, J, SUCC);
    rig.predChange(P, "leave"); // J leaves: (40, 100] comes to S
    rig.deliver(J, handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), []);
    const X = ref(70);
    rig.predChange(X, "joiner"); // (40, 70] goes to X, which takes writes there...
    const toX = handovers(rig).at(-1);
    assert.ok(toX !== undefined);
    rig.deliver(X, ack(toX));
    rig.predChange(P, "leave"); // ...and leaves: (40, 70] comes back
    assert.deepEqual(rig.unsynced(), [[40, 70]], "J's old hand-over does not stand in for X's");
    assert.equal(rig.store.serves(50n), false);
    rig.deliver(X, handover(1, 40, 70, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("a resend of a hand-over taken before counts only for what was not handed on since", () => {
    const rig = new StoreRig(S, J, SUCC);
    rig.predChange(P, "leave");
    rig.deliver(J, handover(1, 40, 100, [])); // its ack was lost: J resends
    const X = ref(70);
    rig.predChange(X, "joiner");
    const toX = handovers(rig).at(-1);
    assert.ok(toX !== undefined);
    rig.deliver(X, ack(toX));
    rig.predChange(P, "leave"); // X leaves: (40, 70] awaits X's hand-over
    rig.deliver(J, handover(1, 40, 100, [])); // J's resend, from before X's writes
    assert.deepEqual(rig.unsynced(), [[40, 70]], "the resend does not settle the wait for X");
    assert.equal(rig.store.serves(50n), false);
  });

  it("a hand-over settles only a wait for its own sender", () => {
    const rig = new StoreRig(S, J, SUCC);
    rig.predChange(P, "leave"); // J leaves: (40, 100] awaited from J, whose hand-over is delayed
    const X = ref(70);
    rig.predChange(X, "joiner"); // (40, 70] goes on to X, incomplete...
    const toX = handovers(rig).at(-1);
    assert.ok(toX !== undefined);
    rig.deliver(X, ack(toX));
    rig.predChange(P, "leave"); // ...which, once complete, took writes and leaves again
    rig.deliver(J, handover(1, 40, 100, [])); // J's hand-over, from before X's writes, arrives at last
    assert.deepEqual(rig.unsynced(), [[40, 70]], "J's data settles the wait for J, not the wait for X");
    rig.deliver(X, handover(1, 40, 70, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("a hand-over that came early from another sender does not stand in for the one awaited", () => {
    const X = ref(70);
    const rig = new StoreRig(S, X, SUCC);
    rig.deliver(J, handover(1, 40, 100, [])); // J's, while (40, 70] is X's, which takes writes there
    rig.predChange(P, "leave"); // X leaves: (40, 70] comes to S
    assert.deepEqual(rig.unsynced(), [[40, 70]], "awaited from X, whose writes J's copy lacks");
    assert.equal(rig.store.serves(50n), false);
    rig.deliver(X, handover(1, 40, 70, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("a late hand-over from a restarted sender does not settle the repair its old incarnation caused", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.predChange(P, "joined");
    rig.advance(WAIT_MS); // S (nonce 1) never handed over: repaired
    rig.deliver(ref(200, 2), handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), [[40, 100]], "S restarted: another incarnation, whose data may differ");
    rig.deliver(S, handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), [], "the old incarnation's late hand-over does");
  });

  it("the receiver of a leaver's range waits for the leaver's hand-over", () => {
    const rig = new StoreRig(S, J, SUCC);
    rig.predChange(P, "leave"); // J leaves: (40, 100] comes to S
    assert.deepEqual(rig.unsynced(), [[40, 100]]);
    rig.deliver(J, handover(1, 40, 100, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("fault hook store.handover.ack-lost: no ack goes out, the data is taken all the same", () => {
    const rig = joiner();
    rig.env.buggifySites.add("store.handover.ack-lost");
    rig.deliver(S, handover(1, 40, 100, []));
    assert.equal(sentMsgs(rig.env, "handoverAck").length, 0);
    assert.deepEqual(rig.unsynced(), []);
    rig.env.buggifySites.clear();
    rig.deliver(S, handover(1, 40, 100, [])); // the sender's resend
    assert.deepEqual(sentMsgs(rig.env, "handoverAck"), [{ type: "handoverAck", transfer: 1 }]);
  });

  it("fault hook store.handover.ack-twice: the ack goes out twice", () => {
    const rig = joiner();
    rig.env.buggifySites.add("store.handover.ack-twice");
    rig.deliver(S, handover(1, 40, 100, []));
    assert.equal(sentMsgs(rig.env, "handoverAck").length, 2);
  });

  it("fault hook store.handover.wait-edge: the wait ends when the last resend leaves, and repair takes over", () => {
    const rig = new StoreRig(J, null, S, { members: [ref(170), ref(230), ref(20)] });
    rig.env.buggifySites.add("store.handover.wait-edge");
    rig.predChange(P, "joined");
    const [wait] = rig.env.timersOf("handoverWait");
    assert.equal(wait?.dueMs, RESEND_MS * (HANDOVER_ATTEMPTS - 1));
    rig.advance(RESEND_MS * (HANDOVER_ATTEMPTS - 1));
    assert.equal(sentMsgs(rig.env, "repairAsk").length, 3);
    rig.deliver(S, handover(1, 40, 100, [])); // the last resend arrives after all
    assert.deepEqual(rig.unsynced(), []);
  });
});
