// Failure recovery of the relaxed ring, one rule per test (docs/relaxed-ring.md §5): a single node on
// the scripted recording Env; peers that should stay alive answer, the others fall silent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  advanceWith,
  at,
  heardFrom,
  member,
  type OneNode,
  positions,
  RING,
  ref,
  refs,
  sentTo,
  startNode,
} from "./one-node.js";

/** Advances in 100 ms steps, `alive` answering, until `peer` is suspected; returns when that was. */
function untilSuspected(one: OneNode, peer: number, alive: readonly number[]): number {
  for (let i = 0; i < 100; i++) {
    if (one.node.failureDetector.isSuspected(ref(peer))) return one.env.now();
    advanceWith(one, 100, refs(alive));
  }
  throw new Error(`${peer} was never suspected`);
}

function redirects(one: OneNode): { to: number; target: number; alt: number | null }[] {
  return one.env
    .sentOf("redirect")
    .map((s) => ({ to: Number(s.to.id), target: Number(s.msg.to.id), alt: at(s.msg.alt) }));
}

describe("relaxed ring: failure recovery (docs/relaxed-ring.md §5)", () => {
  it("a suspected successor is replaced by the next live peer of the successor list, asked by fix", () => {
    const one = member(100, 50, [150, 200, 250]);
    untilSuspected(one, 150, [50]);
    assert.equal(at(one.node.succ), 200);
    assert.equal(one.node.recovering, true);
    assert.deepEqual(sentTo(one.env, "fix"), [200]);
    one.node.onMessage(ref(200), { type: "fixOk", succList: refs([250]) });
    assert.equal(one.node.recovering, false);
    assert.deepEqual(positions(one.node.succList), [200, 250]);
  });

  it("a node whose successors and predecessor are all suspected owns the whole ring alone", () => {
    const one = member(100, 50, [150]);
    advanceWith(one, 2000, []);
    assert.equal(at(one.node.succ), 100);
    assert.equal(at(one.node.pred), 100);
    assert.deepEqual(one.node.succList, []);
    for (const key of [0n, 60n, 100n, 200n, 255n]) assert.equal(one.node.owns(key), true);
  });

  it("a fixer between my pred and me becomes my pred and gets my successor list", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(70), { type: "fix" });
    assert.equal(at(node.pred), 70);
    const fixOk = env.sentOf("fixOk");
    assert.equal(at(fixOk[0]?.to), 70);
    assert.deepEqual(positions(fixOk[0]?.msg.succList ?? []), [150, 200]);
  });

  it("fix from outside (pred, self) while pred is alive is redirected", () => {
    const one = member(100, 50, [150]);
    // My pred's pings name its own pred, 20: offered as the alternative.
    one.node.onMessage(ref(50), {
      type: "ping",
      pred: ref(20),
      succ: ref(100),
      ring: null,
      succListDigest: 0,
    });
    one.env.drain();
    one.node.onMessage(ref(30), { type: "fix" });
    assert.deepEqual(redirects(one), [{ to: 30, target: 50, alt: 20 }]);
    assert.equal(at(one.node.pred), 50);
    assert.deepEqual(sentTo(one.env, "fixOk"), []);
  });

  it("a node suspected as pred is replaced only after predTakeoverMs", () => {
    const one = member(100, 50, [150]);
    const suspectedAt = untilSuspected(one, 50, [150, 30]);
    const takeoverMs = 6000;
    advanceWith(one, suspectedAt + takeoverMs - 100 - one.env.now(), refs([150, 30]));
    one.env.drain();
    one.node.onMessage(ref(30), { type: "fix" });
    assert.deepEqual(redirects(one), [{ to: 30, target: 50, alt: null }], "too early: try my pred first");
    assert.equal(at(one.node.pred), 50);
    advanceWith(one, 200, refs([150, 30]));
    one.env.drain();
    one.node.onMessage(ref(30), { type: "fix" });
    assert.equal(at(one.node.pred), 30);
    assert.deepEqual(sentTo(one.env, "fixOk"), [30]);
  });

  it("after the takeover delay a fixer is redirected to a live predList member between it and me", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(40), { type: "fix" }); // 40 joins predList (redirected to 50 for now)
    const suspectedAt = untilSuspected(one, 50, [150, 40, 30]);
    advanceWith(one, suspectedAt + 6100 - one.env.now(), refs([150, 40, 30]));
    one.env.drain();
    one.node.onMessage(ref(30), { type: "fix" });
    assert.deepEqual(redirects(one), [{ to: 30, target: 40, alt: null }]);
    assert.equal(at(one.node.pred), 50);
    one.node.onMessage(ref(40), { type: "fix" });
    assert.equal(at(one.node.pred), 40, "nobody live between 40 and me: it takes over");
  });

  it("at the takeover, the live predList members are asked by hint, and none is adopted outright", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(40), { type: "fix" });
    untilSuspected(one, 50, [150, 40]);
    one.env.drain();
    advanceWith(one, 6100, refs([150, 40]));
    const hints = one.env.sentOf("hint").map((s) => [Number(s.to.id), Number(s.msg.candidate.id)]);
    assert.deepEqual(hints, [[40, 100]]);
    assert.equal(at(one.node.pred), 50);
  });

  it("R15: a node with no pred redirects a fixer that would wrap its range over its successor or a successor-list peer", () => {
    // 70 joined without a pred (J13): it owns nothing, its successor is 100, then 150.
    const { env, node } = startNode(70, { contact: ref(200) });
    node.onMessage(ref(100), {
      type: "joinOk",
      pred: null,
      succ: ref(100),
      succList: refs([150]),
      ring: RING,
    });
    env.drain();
    node.onMessage(ref(90), { type: "fix" }); // (90, 70] would hold 100
    node.onMessage(ref(120), { type: "fix" }); // (120, 70] would hold 150
    assert.deepEqual(redirects({ env, node }), [
      { to: 90, target: 100, alt: null },
      { to: 120, target: 150, alt: null },
    ]);
    assert.equal(node.pred, null);
    assert.equal(node.owns(80n), false, "still owns nothing");
    assert.deepEqual(sentTo(env, "fixOk"), []);
    env.drain();
    node.onMessage(ref(200), { type: "fix" }); // far away, but nobody I know lies in (200, 70)
    assert.equal(at(node.pred), 200);
    assert.deepEqual(sentTo(env, "fixOk"), [200]);
  });

  it("R15: a node with no pred redirects a fixer from behind a live predList member to it", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(30), { type: "fix" }); // 30 joins predList, redirected to 50 for now
    one.node.onMessage(ref(50), { type: "leaving", pred: null, succ: ref(100), succList: refs([150]) });
    assert.equal(one.node.pred, null, "my pred left without one (L2)");
    one.env.drain();
    one.node.onMessage(ref(10), { type: "fix" }); // far behind 30, which may own part of (10, 30]
    assert.deepEqual(redirects(one), [{ to: 10, target: 30, alt: null }]);
    assert.equal(one.node.pred, null);
    one.node.onMessage(ref(30), { type: "fix" });
    assert.equal(at(one.node.pred), 30, "nobody live between 30 and me: it is taken");
    assert.deepEqual(sentTo(one.env, "fixOk"), [30]);
  });

  it("a fixOk from beyond my successor is stale and ignored", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(200), { type: "fixOk", succList: refs([250]) });
    assert.equal(at(node.succ), 150);
    assert.deepEqual(env.sent, []);
  });

  it("a fixOk from between me and my successor makes it my successor; the old one hears predNoMore", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(120), { type: "fixOk", succList: refs([150, 200]) });
    assert.equal(at(node.succ), 120);
    assert.deepEqual(sentTo(env, "predNoMore"), [150]);
  });

  it("a redirect to a peer that does not answer falls back to the redirector", () => {
    const one = member(100, 50, [200, 250]);
    one.node.onMessage(ref(150), { type: "redirect", to: ref(120), alt: null });
    assert.deepEqual(sentTo(one.env, "fix"), [120]);
    advanceWith(one, 1000, refs([50, 200, 150]));
    assert.equal(at(one.node.succ), 150, "120 stayed silent: the redirector lies between me and my succ");
    assert.deepEqual(positions(one.node.succList), [150, 200, 250]);
  });

  it("a redirect's target that does not answer is passed over for the alternative before it", () => {
    const one = member(100, 50, [200]);
    one.node.onMessage(ref(150), { type: "redirect", to: ref(130), alt: ref(120) });
    one.env.drain();
    advanceWith(one, 1000, refs([50, 200]));
    assert.deepEqual(sentTo(one.env, "fix"), [120]);
    assert.equal(at(one.node.succ), 200, "nothing adopted before an answer");
  });

  it("a lone node links up again with a member that pings it", () => {
    const { env, node } = startNode(100);
    assert.equal(node.owns(7n), true, "the first node owns every key");
    env.drain();
    node.onMessage(ref(150), { type: "ping", pred: ref(120), succ: ref(200), ring: null, succListDigest: 0 });
    assert.equal(at(node.succ), 150);
    assert.equal(node.pred, null, "no longer its own pred: it claims nothing until a fixer comes");
    assert.equal(node.owns(7n), false);
    assert.deepEqual(sentTo(env, "fix"), [150]);
  });

  it("a peer that answers after a suspicion, between me and my successor, is asked to fix and is a merge detection", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(120), { type: "fix" }); // watched from now on (a predList member)
    untilSuspected(one, 120, [50, 150]);
    one.env.drain();
    heardFrom(one, ref(120));
    assert.deepEqual(sentTo(one.env, "fix"), [120]);
    assert.deepEqual(positions(one.node.mergeState.detections), [120]);
  });

  it("a restarted peer (new nonce) at my successor's address is a crash, and no merge detection", () => {
    const one = member(100, 50, [150, 200]);
    one.env.drain();
    one.node.onMessage(ref(150, 2), { type: "passivePong" });
    assert.equal(at(one.node.succ), 200, "the old incarnation of 150 is gone");
    assert.deepEqual(one.node.mergeState.detections, []);
  });
});
