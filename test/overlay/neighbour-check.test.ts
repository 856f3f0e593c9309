// Branches, hints, successor lists and the neighbour check of the relaxed ring, one rule per test
// (docs/relaxed-ring.md §1, §6): a single node on the scripted recording Env.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { succListDigest } from "../../src/overlay/succ-list-digest.js";
import { advanceWith, member, payload, positions, ref, refs, sentTo } from "./one-node.js";

describe("relaxed ring: the neighbour check (docs/relaxed-ring.md §6)", () => {
  it("the neighbour check asks the peer between me and my successor to fix me", () => {
    const { env, node } = member(100, 50, [150]);
    node.onMessage(ref(150), { type: "pong", ...payload(ref(120), ref(200)) });
    assert.deepEqual(sentTo(env, "fix"), [120]);
  });

  it("the neighbour check asks my successor itself when it names a predecessor before me", () => {
    const { env, node } = member(100, 50, [150]);
    node.onMessage(ref(150), { type: "pong", ...payload(ref(70), ref(200)) });
    assert.deepEqual(sentTo(env, "fix"), [150]);
  });

  it("the neighbour check compares notes with my successor at most once per ringCheckMs", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(150), { type: "pong", ...payload(ref(70), ref(200)) });
    one.node.onMessage(ref(150), { type: "pong", ...payload(ref(70), ref(200)) });
    assert.deepEqual(sentTo(one.env, "fix"), [150]);
    advanceWith(one, 5000, refs([50, 150]));
    one.env.drain();
    one.node.onMessage(ref(150), { type: "pong", ...payload(ref(70), ref(200)) });
    assert.deepEqual(sentTo(one.env, "fix"), [150]);
  });

  it("a successor whose list differs from the one it gave me is asked again (fix)", () => {
    const { env, node } = member(100, 50, [150, 200, 250]);
    const given = succListDigest(refs([200, 250]));
    node.onMessage(ref(150), { type: "pong", ...payload(ref(100), ref(200), given) });
    assert.deepEqual(sentTo(env, "fix"), [], "the same list: nothing to ask");
    node.onMessage(ref(150), { type: "pong", ...payload(ref(100), ref(200), given ^ 1) });
    assert.deepEqual(sentTo(env, "fix"), [150]);
  });

  it("a pred's successor between it and me is a merge detection, my pred naming me is none", () => {
    const { node } = member(100, 50, [150]);
    node.onMessage(ref(50), { type: "ping", ...payload(ref(20), ref(100)) });
    assert.deepEqual(node.mergeState.detections, []);
    node.onMessage(ref(50), { type: "ping", ...payload(ref(20), ref(70)) });
    assert.deepEqual(positions(node.mergeState.detections), [70]);
  });

  it("a ping is answered with a pong naming my trusted pred, my succ and my ring", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(150), { type: "ping", ...payload(ref(100), ref(200)) });
    const pong = env.sentOf("pong")[0];
    assert.equal(Number(pong?.to.id), 150);
    assert.equal(Number(pong?.msg.pred?.id), 50);
    assert.equal(Number(pong?.msg.succ?.id), 150);
    assert.deepEqual(pong?.msg.ring, node.ringRef);
  });

  it("a peer that says it has no successor leaves my predList", () => {
    const { node } = member(100, 50, [150]);
    node.onMessage(ref(40), { type: "fix" });
    assert.deepEqual(positions(node.predecessors).sort(), [40, 50]);
    node.onMessage(ref(40), { type: "pong", ...payload(null, null) });
    assert.deepEqual(positions(node.predecessors), [50]);
  });

  it("the ring identity moves only to a smaller uid", () => {
    const { node } = member(100, 50, [150]);
    const uid = node.ringRef?.uid ?? 0;
    node.onMessage(ref(150), {
      type: "pong",
      pred: ref(100),
      succ: ref(200),
      ring: { name: "x", uid: uid + 5 },
      succListDigest: 0,
    });
    assert.equal(node.ringRef?.uid, uid);
    node.onMessage(ref(150), {
      type: "pong",
      pred: ref(100),
      succ: ref(200),
      ring: { name: "x", uid: uid - 5 },
      succListDigest: 0,
    });
    assert.equal(node.ringRef?.uid, uid - 5);
  });
});

describe("relaxed ring: successor lists (docs/relaxed-ring.md §1)", () => {
  it("updSuccList from my successor replaces my list and goes on to my pred with one less ttl", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(150), { type: "updSuccList", succList: refs([170, 200]), ttl: 8 });
    assert.deepEqual(positions(node.succList), [150, 170, 200]);
    const sent = env.sentOf("updSuccList");
    assert.equal(Number(sent[0]?.to.id), 50);
    assert.equal(sent[0]?.msg.ttl, 7);
    assert.deepEqual(positions(sent[0]?.msg.succList ?? []), [150, 170, 200]);
  });

  it("updSuccList from anyone but my successor is ignored", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(200), { type: "updSuccList", succList: refs([250]), ttl: 8 });
    assert.deepEqual(positions(node.succList), [150, 200]);
    assert.deepEqual(env.sent, []);
  });

  it("the same updSuccList twice is passed on once", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(150), { type: "updSuccList", succList: refs([170, 200]), ttl: 8 });
    node.onMessage(ref(150), { type: "updSuccList", succList: refs([170, 200]), ttl: 8 });
    assert.deepEqual(sentTo(env, "updSuccList"), [50]);
  });

  it("a successor list holds each address once, at most L peers, and stops before me", () => {
    const { node } = member(100, 50, [150, 150, 160, 170, 180, 190, 200, 210, 220, 230], {
      config: { succListSize: 4 },
    });
    assert.deepEqual(positions(node.succList), [150, 160, 170, 180]);
    const small = member(100, 50, [150, 200, 100, 150]);
    assert.deepEqual(positions(small.node.succList), [150, 200]);
  });

  it("a successor list goes once round from me and stops where it would pass me", () => {
    // 150's list came round the ring to 120, between me and 150: not a successor after 200.
    const { node } = member(100, 50, [150, 200, 20, 120, 130]);
    assert.deepEqual(positions(node.succList), [150, 200, 20]);
  });
});

describe("relaxed ring: branches and hints (docs/relaxed-ring.md §6)", () => {
  it("hints tell each branch member the closest live peer after it", () => {
    const one = member(100, 50, [150]);
    one.node.onMessage(ref(30), { type: "fix" });
    one.node.onMessage(ref(40), { type: "fix" });
    one.env.drain();
    advanceWith(one, 16_000, refs([50, 150, 30, 40]));
    const hints = new Set(one.env.sentOf("hint").map((s) => `${s.to.id}->${s.msg.candidate.id}`));
    assert.deepEqual([...hints].sort(), ["30->40", "40->50"]);
  });

  it("a hint towards a closer successor is followed with fix; otherwise the hinter hears predNoMore", () => {
    const { env, node } = member(100, 50, [150]);
    node.onMessage(ref(160), { type: "hint", candidate: ref(120) });
    assert.deepEqual(sentTo(env, "fix"), [120]);
    env.drain();
    node.onMessage(ref(160), { type: "hint", candidate: ref(170) });
    assert.deepEqual(sentTo(env, "fix"), []);
    assert.deepEqual(sentTo(env, "predNoMore"), [160]);
  });
});
