// Routing, one rule per test (docs/routing.md): the router of one node, on the scripted recording
// Env, over a ring position the test sets (pred 50, me 100, succ 150) and the fingers it offers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingId } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";
import { FingerTable } from "../../src/overlay/finger-table.js";
import type { RingMessage, RingTimer, RoutedPayload } from "../../src/overlay/messages.js";
import type { LookupResult } from "../../src/overlay/ring-view.js";
import { Router, type RoutingPosition } from "../../src/overlay/router.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import { ids, positions, ref, refs, sentTo } from "./one-node.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

interface Setup {
  readonly env: RecordingEnv<RingMessage, RingTimer>;
  readonly router: Router;
  readonly fingers: FingerTable;
  readonly fd: FailureDetector;
  readonly position: TestPosition;
}

interface TestPosition extends RoutingPosition {
  predList: NodeRef[];
  awaitingTakeover: boolean;
  readonly joins: NodeRef[];
  readonly mergeLookups: NodeRef[];
}

function routerAt(options: { fingers?: readonly number[]; predList?: readonly number[] } = {}): Setup {
  const self = ref(100);
  const env = new RecordingEnv<RingMessage, RingTimer>(self);
  const fingers = new FingerTable(ids, self.id, 4);
  const fd = new FailureDetector(DEFAULT_OVERLAY.fd, { crash() {}, alive() {}, ping() {} });
  fd.monitor(ref(50));
  fd.monitor(ref(150));
  const position: TestPosition = {
    self,
    pred: ref(50),
    succ: ref(150),
    succList: refs([150]),
    isMember: true,
    joinContact: null,
    predList: refs(options.predList ?? [50]),
    awaitingTakeover: false,
    joins: [],
    mergeLookups: [],
    predListMembers() {
      return this.predList;
    },
    neighbours: () => ({ pred: ref(50), succ: ref(150), next: [] }),
    onJoinRequest(joiner) {
      this.joins.push(joiner);
    },
    awaitsTakeoverOf() {
      return this.awaitingTakeover;
    },
    onMergeLookup(target) {
      this.mergeLookups.push(target);
    },
  };
  for (const f of options.fingers ?? [150]) fingers.offer(ref(f));
  const router = new Router(env, DEFAULT_OVERLAY, ids, fingers, fd, position);
  return { env, router, fingers, fd, position };
}

function route(
  key: number,
  payload: RoutedPayload,
  more: Partial<MessageOf<"route">> = {},
): MessageOf<"route"> {
  return {
    type: "route",
    key: BigInt(key),
    origin: ref(20),
    hops: 1,
    last: false,
    payload,
    hopId: 0,
    ...more,
  };
}

const LOOKUP: RoutedPayload = { kind: "lookup", lookupId: 7 };

describe("routing (docs/routing.md)", () => {
  it("a lookup is answered only by the node that owns the key", () => {
    const { env, router } = routerAt();
    router.onMessage(ref(20), route(70, LOOKUP));
    const replies = env.sentOf("lookupReply");
    assert.equal(replies.length, 1);
    assert.equal(Number(replies[0]?.to.id), 20, "to the lookup's origin");
    assert.equal(Number(replies[0]?.msg.responsible.id), 100);
    env.drain();
    router.onMessage(ref(20), route(120, LOOKUP));
    assert.deepEqual(env.sentOf("lookupReply"), []);
    assert.deepEqual(sentTo(env, "route"), [150], "not mine: on to my successor, which owns it");
  });

  it("a hop towards an unwatched peer expects a routeAck and reroutes without one", () => {
    const { env, router, fingers } = routerAt({ fingers: [150, 200] });
    router.onMessage(ref(20), route(210, LOOKUP));
    const first = env.sentOf("route")[0];
    assert.equal(Number(first?.to.id), 200);
    assert.notEqual(first?.msg.hopId, 0, "200 is no neighbour: the hop wants an ack");
    env.drain();
    env.advance(DEFAULT_OVERLAY.hopTimeoutMs, router);
    const again = env.sentOf("route");
    assert.deepEqual(
      again.map((s) => Number(s.to.id)),
      [150],
      "routed again around the silent peer",
    );
    assert.equal(again[0]?.msg.hops, 2, "the reroute is the same hop, not one more");
    assert.ok(!positions(fingers.refs()).includes(200), "the silent finger is dropped");
  });

  it("a hop acknowledged in time is not sent again", () => {
    const { env, router } = routerAt({ fingers: [150, 200] });
    router.onMessage(ref(20), route(210, LOOKUP));
    const hopId = env.sentOf("route")[0]?.msg.hopId ?? 0;
    router.onMessage(ref(200), { type: "routeAck", hopId, pred: ref(150), succ: ref(250), next: [] });
    env.drain();
    env.advance(DEFAULT_OVERLAY.hopTimeoutMs * 2, router);
    assert.deepEqual(sentTo(env, "route"), []);
  });

  it("a hop to a neighbour the failure detector watches expects no ack", () => {
    const { env, router } = routerAt();
    router.onMessage(ref(20), route(120, LOOKUP));
    assert.equal(env.sentOf("route")[0]?.msg.hopId, 0);
    assert.deepEqual(env.timersOf("hopTimeout"), []);
  });

  it("a routed hop that asks for an ack gets one, with my neighbours", () => {
    const { env, router } = routerAt();
    router.onMessage(ref(20), route(120, LOOKUP, { hopId: 9 }));
    const ack = env.sentOf("routeAck")[0];
    assert.equal(Number(ack?.to.id), 20);
    assert.equal(ack?.msg.hopId, 9);
    assert.equal(Number(ack?.msg.succ?.id), 150);
  });

  it("a routed message that has taken the hop bound is dropped", () => {
    const { env, router } = routerAt();
    router.onMessage(ref(20), route(120, LOOKUP, { hops: 64 }));
    assert.deepEqual(sentTo(env, "route"), []);
    assert.ok(env.events.some((e) => e.type === "route-dropped"));
    router.onMessage(ref(20), route(70, LOOKUP, { hops: 64 }));
    assert.equal(env.sentOf("lookupReply").length, 1, "at the bound, the owner still answers");
  });

  it("a message sent as last to a node that does not own its key walks back through its predList", () => {
    const { env, router } = routerAt({ predList: [50, 30] });
    router.onMessage(ref(20), route(40, LOOKUP, { last: true }));
    const sent = env.sentOf("route");
    assert.deepEqual(
      sent.map((s) => [Number(s.to.id), s.msg.last]),
      [[50, true]],
      "the closest peer of my predList at or after the key",
    );
  });

  it("a message for my suspected pred's range waits here for the takeover, then goes on", () => {
    const { env, router, position } = routerAt();
    position.awaitingTakeover = true;
    router.onMessage(ref(20), route(40, LOOKUP, { last: true }));
    assert.deepEqual(sentTo(env, "route"), []);
    position.awaitingTakeover = false;
    env.advance(DEFAULT_OVERLAY.hopTimeoutMs, router);
    assert.deepEqual(sentTo(env, "route"), [50]);
  });

  it("a repeated join from my predecessor goes to the join role though its id is no longer mine", () => {
    const { router, position } = routerAt();
    router.onMessage(ref(50), route(50, { kind: "join", ring: null }, { origin: ref(50) }));
    assert.deepEqual(positions(position.joins), [50]);
  });

  it("a join is never routed to the joiner itself", () => {
    const { env, router } = routerAt({ fingers: [150, 120] });
    // 120 is known as a finger, but it is the joiner: the join goes to the owner of 120, my successor.
    router.onMessage(ref(20), route(120, { kind: "join", ring: null }, { origin: ref(120) }));
    assert.deepEqual(sentTo(env, "route"), [150]);
    env.drain();
    router.onMessage(ref(20), route(130, LOOKUP));
    assert.deepEqual(sentTo(env, "route"), [150]);
  });

  it("a merge lookup is delivered where its target's id lies", () => {
    const { router, position } = routerAt();
    router.onMessage(ref(20), route(70, { kind: "mlookup", target: ref(70, 9) }));
    assert.deepEqual(positions(position.mergeLookups), [70]);
  });

  it("a lookup with no answer within lookupTimeoutMs fails with timeout", () => {
    const { env, router } = routerAt();
    const results: LookupResult[] = [];
    router.lookup(200n as RingId, (r) => results.push(r));
    env.advance(DEFAULT_OVERLAY.lookupTimeoutMs - 1, router);
    assert.deepEqual(results, []);
    env.advance(1, router);
    assert.deepEqual(results, [{ ok: false, reason: "timeout" }]);
  });

  it("a finger that does not answer a probe within hopTimeoutMs is dropped", () => {
    const { env, router, fingers } = routerAt({ fingers: [150, 200, 20] });
    router.onTimer({ type: "fingerProbe" });
    assert.deepEqual(sentTo(env, "probe").sort(), [20, 200], "neighbours are watched by the FD, not probed");
    router.onMessage(ref(20), { type: "probeReply", pred: null, succ: null, next: [] });
    env.advance(DEFAULT_OVERLAY.hopTimeoutMs, router);
    assert.deepEqual(
      positions(fingers.refs()).sort((a, b) => a - b),
      [20, 150],
    );
  });
});
