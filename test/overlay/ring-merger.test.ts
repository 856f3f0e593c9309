// Ring merge and the loop check, one rule per test (docs/ring-merge.md §2–§5): the merger and the
// loop detector of one node, on the scripted recording Env, over a ring position the test sets
// (pred 50, me 100, succ 150); and one whole node for the rule that a false detection changes nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingId } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY, type OverlayConfig } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";
import { type LoopCheckPosition, LoopDetector } from "../../src/overlay/loop-detector.js";
import type { RingMessage, RingTimer } from "../../src/overlay/messages.js";
import { type MergePosition, RingMerger } from "../../src/overlay/ring-merger.js";
import type { LookupCallback } from "../../src/overlay/ring-view.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import { at, ids, member, positions, ref, refs, sentTo } from "./one-node.js";

type Env = RecordingEnv<RingMessage, RingTimer>;

function mergerAt(config: Partial<OverlayConfig> = {}, isMember = true) {
  const env: Env = new RecordingEnv(ref(100));
  const fd = new FailureDetector(DEFAULT_OVERLAY.fd, { crash() {}, alive() {}, ping() {} });
  const routed: NodeRef[] = [];
  const position: MergePosition = {
    self: ref(100),
    pred: ref(50),
    succ: ref(150),
    isMember,
    succList: refs([150, 200]),
    fingerPeers: () => refs([150, 200, 20]),
    routeMergeLookup: (target) => routed.push(target),
  };
  const merger = new RingMerger(env, { ...DEFAULT_OVERLAY, ...config }, ids, fd, position);
  return { env, merger, routed };
}

describe("ring merge (docs/ring-merge.md)", () => {
  it("mlookup that reaches the target itself stops", () => {
    const { env, merger } = mergerAt();
    merger.onMergeLookupDelivered(ref(100));
    assert.deepEqual(env.sent, []);
  });

  it("an mlookup delivered between my pred and me tells its target the pair around it (trymerge)", () => {
    const { env, merger } = mergerAt();
    merger.onMergeLookupDelivered(ref(70, 5));
    const trymerge = env.sentOf("trymerge");
    assert.equal(trymerge.length, 1);
    assert.equal(at(trymerge[0]?.to), 70);
    assert.deepEqual([at(trymerge[0]?.msg.cpred), at(trymerge[0]?.msg.csucc)], [50, 100]);
  });

  it("trymerge zips both ways: fix to a closer csucc, a hint naming me to a closer cpred, mlookups for both", () => {
    const { env, merger, routed } = mergerAt();
    merger.onTryMerge(ref(60, 3), ref(70, 3), ref(120, 3));
    assert.deepEqual(sentTo(env, "fix"), [120]);
    assert.deepEqual(
      env.sentOf("hint").map((s) => [at(s.to), at(s.msg.candidate)]),
      [[70, 100]],
    );
    assert.deepEqual(positions(routed), [120, 70]);
  });

  it("trymerge with peers farther than my own neighbours asks nothing of them", () => {
    const { env, merger, routed } = mergerAt();
    merger.onTryMerge(ref(60, 3), ref(30, 3), ref(170, 3));
    assert.deepEqual(env.sent, []);
    assert.deepEqual(positions(routed), [170, 30], "the zip still goes on in my ring");
  });

  it("a false merge detection ends without changing any pointer", () => {
    const { env, node } = member(100, 50, [150, 200]);
    const before = { pred: node.pred, succ: node.succ, succList: node.succList };
    node.mergeWith(ref(150)); // my own successor, "maybe in another ring"
    env.advance(DEFAULT_OVERLAY.mergePeriodMs, node);
    node.onMessage(ref(150), { type: "trymerge", cpred: ref(50), csucc: ref(150) }); // my own neighbours
    assert.deepEqual(sentTo(env, "fix"), []);
    assert.deepEqual(sentTo(env, "hint"), []);
    assert.deepEqual(sentTo(env, "trymerge"), []);
    assert.deepEqual({ pred: node.pred, succ: node.succ, succList: node.succList }, before);
    // Each mlookup went straight to its target, which owns its own id: it stops there.
    const routes = env.sentOf("route");
    assert.ok(routes.length > 0);
    for (const s of routes) {
      assert.equal(s.msg.payload.kind, "mlookup");
      if (s.msg.payload.kind === "mlookup") assert.equal(at(s.to), at(s.msg.payload.target));
    }
  });

  it("a peer that answers again with the nonce it was dropped with is a detection; a new nonce is a restart", () => {
    const { merger } = mergerAt();
    merger.onSuspected(ref(170));
    merger.onSuspected(ref(180));
    merger.onHeardAgain(ref(170));
    merger.onHeardAgain(ref(180, 2));
    assert.deepEqual(positions(merger.pendingDetections), [170]);
    assert.deepEqual(merger.passivePeers, []);
  });

  it("detections start at most one mlookup per merge period γ", () => {
    const { env, merger, routed } = mergerAt();
    merger.detected(ref(170, 4));
    merger.detected(ref(180, 4));
    merger.detected(ref(170, 4));
    assert.deepEqual(routed, []);
    env.advance(DEFAULT_OVERLAY.mergePeriodMs, merger);
    assert.deepEqual(positions(routed), [170]);
    env.advance(DEFAULT_OVERLAY.mergePeriodMs, merger);
    assert.deepEqual(positions(routed), [170, 180], "each detection once");
    env.advance(DEFAULT_OVERLAY.mergePeriodMs * 5, merger);
    assert.equal(routed.length, 2);
    assert.deepEqual(env.timersOf("mergeRound"), [], "no work, no timer");
  });

  it("the passive list keeps the latest passiveListSize peers and pings those the FD no longer watches", () => {
    const { env, merger } = mergerAt({ passiveListSize: 2 });
    for (const p of [170, 180, 190]) merger.onSuspected(ref(p));
    assert.deepEqual(positions(merger.passivePeers), [180, 190]);
    env.advance(DEFAULT_OVERLAY.passivePingMs, merger);
    assert.deepEqual(sentTo(env, "passivePing"), [180, 190]);
  });

  it("gossip: each trymerge asks its sender to zip towards F random peers of mine", () => {
    const { env, merger } = mergerAt({ mergeAlgorithm: "gossip", mergeFanout: 2 });
    merger.onTryMerge(ref(60, 3), ref(30, 3), ref(170, 3));
    const asks = env.sentOf("mlookupAsk");
    assert.equal(asks.length, 2);
    assert.ok(asks.every((s) => at(s.to) === 60));
    const targets = asks.map((s) => at(s.msg.target));
    assert.equal(new Set(targets).size, 2, "distinct peers");
    assert.ok(targets.every((t) => t !== null && [150, 200, 20].includes(t)));
  });

  it("a node that is no ring member takes no part in a merge", () => {
    const { env, merger, routed } = mergerAt({}, false);
    merger.onTryMerge(ref(60, 3), ref(70, 3), ref(120, 3));
    merger.onPassivePing(ref(60, 3));
    merger.onMergeLookupAsk(ref(70, 3));
    assert.deepEqual(env.sent, []);
    assert.deepEqual(routed, []);
  });
});

function loopAt(config: Partial<OverlayConfig>, succ: number) {
  const env: Env = new RecordingEnv(ref(100));
  const lookups: { first: NodeRef; key: RingId; onDone: LookupCallback }[] = [];
  const detected: NodeRef[] = [];
  const position: LoopCheckPosition = {
    self: ref(100),
    succ: ref(succ),
    isMember: true,
    lookupFrom: (first, key, onDone) => lookups.push({ first, key, onDone }),
    loopDetected: (peer) => detected.push(peer),
  };
  const detector = new LoopDetector(env, { ...DEFAULT_OVERLAY, ...config }, position);
  return { env, detector, lookups, detected };
}

describe("loop detector (docs/ring-merge.md §5)", () => {
  it("a loop check looks my own id up, starting at my successor, every T_loop", () => {
    const { env, detector, lookups } = loopAt({ loopCheckMs: 1000 }, 150);
    detector.start();
    env.advance(1000, { onTimer: () => detector.onTimer() });
    assert.equal(lookups.length, 1);
    assert.equal(at(lookups[0]?.first), 150);
    assert.equal(lookups[0]?.key, 100n);
    env.advance(1000, { onTimer: () => detector.onTimer() });
    assert.equal(lookups.length, 2);
  });

  it("another node answering for my own id is a loop detection; my own answer is none", () => {
    const { detector, lookups, detected } = loopAt({ loopCheckMs: 1000 }, 150);
    detector.checkNow();
    detector.checkNow();
    lookups[0]?.onDone({ ok: true, responsible: ref(100), hops: 3 });
    lookups[1]?.onDone({ ok: true, responsible: ref(103, 2), hops: 5 });
    assert.deepEqual(positions(detected), [103]);
  });

  it("the loop check is off when loopCheckMs is 0, and never runs for a node that is its own successor", () => {
    const off = loopAt({ loopCheckMs: 0 }, 150);
    off.detector.start();
    assert.deepEqual(off.env.pendingTimers(), []);
    const alone = loopAt({ loopCheckMs: 1000 }, 100);
    alone.detector.checkNow();
    assert.deepEqual(alone.lookups, []);
  });
});
