// Every overlay fault hook (docs/architecture.md §8, docs/simulator.md §4), scripted on: the hooked
// node does the rare thing, and the node that receives its duplicate (or misses its ack) stays
// correct. With no site scripted, no hook fires (the recording Env answers false).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";
import { FingerTable } from "../../src/overlay/finger-table.js";
import type { RingMessage, RingTimer } from "../../src/overlay/messages.js";
import { RingMerger } from "../../src/overlay/ring-merger.js";
import type { LookupResult } from "../../src/overlay/ring-view.js";
import { Router, type RoutingPosition } from "../../src/overlay/router.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import {
  advanceWith,
  at,
  ids,
  member,
  type OneNode,
  positions,
  RING,
  ref,
  refs,
  sentTo,
  startNode,
} from "./one-node.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

const joinRoute = (id: number): MessageOf<"route"> => ({
  type: "route",
  key: BigInt(id),
  origin: ref(id),
  hops: 1,
  last: false,
  payload: { kind: "join", ring: null },
  hopId: 0,
});

/** Delivers to `to` every message `from` sent it (in order), as the network would. */
function deliverAll(from: OneNode, to: OneNode): void {
  for (const s of from.env.sent)
    if (s.to.addr === to.node.self.addr) to.node.onMessage(from.node.self, s.msg);
}

const neighboursOf = (one: OneNode) => ({
  pred: one.node.pred,
  succ: one.node.succ,
  succList: one.node.succList,
});

describe("overlay fault hooks", () => {
  it("no hook fires unless scripted", () => {
    const one = member(100, 50, [150, 200]);
    one.node.onMessage(ref(70), joinRoute(70));
    one.node.onMessage(ref(60), { type: "fix" });
    assert.equal(sentTo(one.env, "joinOk").length, 1);
    assert.ok(one.env.buggifyAsked.includes("overlay.join.duplicate-joinOk"), "the site was asked");
  });

  it("overlay.join.duplicate-joinOk: a joiner given the same joinOk twice joins once", () => {
    const succ = member(100, 50, [150]);
    succ.env.buggifySites.add("overlay.join.duplicate-joinOk");
    succ.node.onMessage(ref(70), joinRoute(70));
    assert.equal(sentTo(succ.env, "joinOk").length, 2);
    const joiner = startNode(70, { contact: ref(100) });
    joiner.env.drain();
    deliverAll(succ, joiner);
    assert.equal(at(joiner.node.pred), 50);
    assert.equal(at(joiner.node.succ), 100);
    assert.deepEqual(sentTo(joiner.env, "newSucc"), [50], "its old pred is told once");
    assert.equal(joiner.env.events.filter((e) => e.type === "joined").length, 1);
  });

  it("overlay.join.duplicate-newSucc: the old predecessor links to the joiner once", () => {
    const joiner = startNode(70, { contact: ref(100) });
    joiner.env.buggifySites.add("overlay.join.duplicate-newSucc");
    joiner.node.onMessage(ref(100), {
      type: "joinOk",
      pred: ref(50),
      succ: ref(100),
      succList: refs([150]),
      ring: RING,
    });
    assert.deepEqual(sentTo(joiner.env, "newSucc"), [50, 50]);
    const oldPred = member(50, 20, [100, 150]);
    deliverAll(joiner, oldPred);
    assert.equal(at(oldPred.node.succ), 70);
    assert.deepEqual(positions(oldPred.node.succList), [70, 100, 150]);
    assert.deepEqual(sentTo(oldPred.env, "predNoMore"), [100], "its old successor hears predNoMore once");
  });

  it("overlay.recovery.duplicate-fixOk: a fixer given the same fixOk twice links once", () => {
    const target = member(150, 100, [200, 250]);
    target.env.buggifySites.add("overlay.recovery.duplicate-fixOk");
    const fixer = member(100, 50, [170, 200]);
    target.node.onMessage(fixer.node.self, { type: "fix" });
    assert.equal(sentTo(target.env, "fixOk").length, 2);
    deliverAll(target, fixer);
    assert.equal(at(fixer.node.succ), 150);
    assert.deepEqual(positions(fixer.node.succList), [150, 200, 250]);
    assert.deepEqual(sentTo(fixer.env, "predNoMore"), [170], "its old successor hears predNoMore once");
  });

  it("overlay.hint.duplicate: a branch member hinted twice asks the same candidate and changes nothing itself", () => {
    const root = member(100, 50, [150]);
    root.env.buggifySites.add("overlay.hint.duplicate");
    root.node.onMessage(ref(40), { type: "fix" });
    root.env.drain();
    advanceWith(root, 16_000, refs([50, 150, 40]));
    const hints = root.env.sentOf("hint").filter((s) => at(s.to) === 40);
    assert.ok(hints.length >= 2 && hints.length % 2 === 0, "each hint goes twice");
    const branch = member(40, 30, [100, 150]);
    const before = neighboursOf(branch);
    for (const h of hints.slice(0, 2)) branch.node.onMessage(root.node.self, h.msg);
    assert.deepEqual(sentTo(branch.env, "fix"), [50, 50], "it asks the closer successor, as often as told");
    assert.deepEqual(neighboursOf(branch), before);
  });

  it("overlay.route.ack-lost: the sender reroutes, the owner answers twice, the lookup completes once", () => {
    // The origin at 100 routes a lookup for 210 through 200 (no neighbour: the hop wants an ack).
    const origin = routerAt(100, [150, 200]);
    const results: LookupResult[] = [];
    origin.router.lookup(210n, (r) => results.push(r));
    const hop = origin.env.sentOf("route")[0];
    assert.equal(at(hop?.to), 200);
    // 200 (the owner of 210 in this ring) loses its ack but handles the message.
    const owner = routerAt(220, [], { pred: 200 });
    owner.env.buggifySites.add("overlay.route.ack-lost");
    if (hop !== undefined) owner.router.onMessage(ref(100), hop.msg);
    assert.deepEqual(sentTo(owner.env, "routeAck"), []);
    assert.equal(owner.env.sentOf("lookupReply").length, 1);
    origin.env.drain();
    origin.env.advance(DEFAULT_OVERLAY.hopTimeoutMs, origin.router);
    assert.deepEqual(sentTo(origin.env, "route"), [150], "routed again around the silent hop");
    for (const reply of [...owner.env.sentOf("lookupReply"), ...owner.env.sentOf("lookupReply")])
      origin.router.onMessage(ref(220), reply.msg);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.ok, true);
  });

  it("overlay.merge.duplicate-trymerge: a node told twice that it lies between two peers changes no pointer itself", () => {
    const merger = mergerAt();
    merger.env.buggifySites.add("overlay.merge.duplicate-trymerge");
    merger.merger.onMergeLookupDelivered(ref(70, 9));
    const trymerge = merger.env.sentOf("trymerge");
    assert.equal(trymerge.length, 2);
    const target = member(70, 30, [90, 120]);
    const before = neighboursOf(target);
    for (const t of trymerge) target.node.onMessage(ref(100), t.msg);
    assert.deepEqual(neighboursOf(target), before, "merge code only asks: fix and hint");
    assert.deepEqual(sentTo(target.env, "hint"), [50, 50]);
  });

  it("overlay.succlist.duplicate-update: a duplicated updSuccList travels no further than the first", () => {
    const succ = member(150, 100, [200, 250]);
    succ.env.buggifySites.add("overlay.succlist.duplicate-update");
    succ.node.onMessage(ref(170), {
      type: "newSucc",
      newSucc: ref(170),
      oldSucc: ref(200),
      succList: refs([200, 250]),
    });
    assert.deepEqual(sentTo(succ.env, "updSuccList"), [100, 100]);
    const pred = member(100, 50, [150, 200, 250]);
    deliverAll(succ, pred);
    assert.deepEqual(positions(pred.node.succList), [150, 170, 200, 250]);
    assert.deepEqual(sentTo(pred.env, "updSuccList"), [50], "passed on once");
  });
});

function routerAt(self: number, fingers: readonly number[], around: { pred?: number } = {}) {
  const env = new RecordingEnv<RingMessage, RingTimer>(ref(self));
  const table = new FingerTable(ids, BigInt(self), 4);
  const fd = new FailureDetector(DEFAULT_OVERLAY.fd, { crash() {}, alive() {}, ping() {} });
  const pred = ref(around.pred ?? 50);
  const succ = ref(fingers[0] ?? self + 30);
  fd.monitor(pred);
  fd.monitor(succ);
  for (const f of fingers) table.offer(ref(f));
  const position: RoutingPosition = {
    self: ref(self),
    pred,
    succ,
    succList: [succ],
    isMember: true,
    joinContact: null,
    predListMembers: () => [pred],
    neighbours: () => ({ pred, succ, next: [] }),
    onJoinRequest() {},
    awaitsTakeoverOf: () => false,
    onMergeLookup() {},
  };
  return { env, router: new Router(env, DEFAULT_OVERLAY, ids, table, fd, position) };
}

function mergerAt() {
  const env = new RecordingEnv<RingMessage, RingTimer>(ref(100));
  const fd = new FailureDetector(DEFAULT_OVERLAY.fd, { crash() {}, alive() {}, ping() {} });
  const merger = new RingMerger(env, DEFAULT_OVERLAY, ids, fd, {
    self: ref(100),
    pred: ref(50),
    succ: ref(150),
    isMember: true,
    succList: refs([150]),
    fingerPeers: (): readonly NodeRef[] => [],
    routeMergeLookup() {},
  });
  return { env, merger };
}
