// The join and the leave of the relaxed ring, one rule per test (docs/relaxed-ring.md §3, §4): a single
// node on the scripted recording Env, driven message by message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeRef } from "../../src/core/node-ref.js";
import type { RingMessage, RingRef } from "../../src/overlay/messages.js";
import { advanceWith, at, ids, member, positions, RING, ref, refs, sentTo, startNode } from "./one-node.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

/** The `route` a joiner at `id` sends towards its own id. */
function joinRoute(id: number, ring: RingRef | null = null): MessageOf<"route"> {
  return {
    type: "route",
    key: BigInt(id),
    origin: ref(id),
    hops: 1,
    last: false,
    payload: { kind: "join", ring },
    hopId: 0,
  };
}

function joinOks(sent: readonly { to: NodeRef; msg: RingMessage }[]): { to: number; pred: number | null }[] {
  return sent.flatMap((s) =>
    s.msg.type === "joinOk" ? [{ to: Number(s.to.id), pred: at(s.msg.pred) }] : [],
  );
}

describe("relaxed ring: join (docs/relaxed-ring.md §3)", () => {
  it("a join is answered only by the responsible node", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(70), joinRoute(70));
    assert.deepEqual(
      joinOks(env.sent),
      [{ to: 70, pred: 50 }],
      "70 lies in (50, 100]: answered with my old pred",
    );
    assert.equal(at(node.pred), 70);
    env.drain();
    node.onMessage(ref(70), joinRoute(120));
    assert.deepEqual(joinOks(env.sent), [], "120 lies beyond me: not mine to answer");
    assert.deepEqual(sentTo(env, "route"), [150], "it goes on towards its responsible node");
    assert.equal(at(node.pred), 70);
  });

  it("a repeated join from my new predecessor gets the same joinOk", () => {
    const { env, node } = member(100, 50, [150]);
    node.onMessage(ref(70), joinRoute(70));
    node.onMessage(ref(70), joinRoute(70));
    assert.deepEqual(joinOks(env.sent), [
      { to: 70, pred: 50 },
      { to: 70, pred: 50 },
    ]);
    assert.equal(at(node.pred), 70);
  });

  it("two concurrent joins between the same peers keep one responsible node per key", () => {
    for (const order of [
      [70, 80],
      [80, 70],
    ]) {
      const { env, node } = member(100, 50, [150]);
      for (const joiner of order) node.onMessage(ref(joiner), joinRoute(joiner));
      // Each joiner owns (the pred its joinOk names, itself]; I own (my pred, me].
      const ranges = [
        ...joinOks(env.sent).flatMap(({ to, pred }) => (pred === null ? [] : [[pred, to] as const])),
        [at(node.pred) ?? 0, 100] as const,
      ];
      for (let key = 51; key <= 100; key++) {
        const owners = ranges.filter(([from, to]) => ids.inOC(BigInt(key), BigInt(from), BigInt(to)));
        assert.equal(owners.length, 1, `order ${order}: key ${key} has owners ${JSON.stringify(owners)}`);
      }
      for (let key = 101; key < 306; key++) {
        const k = BigInt(key % 256);
        if (k > 50n && k <= 100n) continue;
        assert.ok(
          !ranges.some(([from, to]) => ids.inOC(k, BigInt(from), BigInt(to))),
          `key ${k} left (50, 100]`,
        );
      }
    }
  });

  it("a repeated join from a predecessor whose first joinOk I did not give gets no pred to take", () => {
    // I joined with 70 as my pred — a joiner whose own joinOk (from another node) was lost.
    const { env, node } = member(100, 70, [150]);
    node.onMessage(ref(40), { type: "fix" }); // 40 is in my predList now, but 55 may lie between it and 70
    env.drain();
    node.onMessage(ref(70), joinRoute(70));
    assert.deepEqual(joinOks(env.sent), [{ to: 70, pred: null }]);
    assert.equal(at(node.pred), 70);
  });

  it("a joinOk without a pred makes the joiner a member that owns nothing until a fixer comes", () => {
    const { env, node } = startNode(70, { contact: ref(200) });
    env.drain();
    node.onMessage(ref(100), {
      type: "joinOk",
      pred: null,
      succ: ref(100),
      succList: refs([150]),
      ring: RING,
    });
    assert.equal(node.isMember, true);
    assert.equal(node.pred, null);
    assert.equal(node.owns(60n), false);
    assert.deepEqual(sentTo(env, "newSucc"), [], "no pred to tell");
    node.onMessage(ref(55), { type: "fix" });
    assert.equal(at(node.pred), 55);
    assert.equal(node.owns(60n), true);
  });

  it("the first pred of a member that joined without one is told to the store as joined: its successor handed it its range", () => {
    const causes: [number | null, number | null, string][] = [];
    const { node } = startNode(70, {
      contact: ref(200),
      hooks: { onPredChange: (old, pred, cause) => causes.push([at(old), at(pred), cause]) },
    });
    node.onMessage(ref(100), {
      type: "joinOk",
      pred: null,
      succ: ref(100),
      succList: refs([150]),
      ring: RING,
    });
    node.onMessage(ref(55), { type: "fix" });
    node.onMessage(ref(60), { type: "fix" });
    assert.deepEqual(causes, [
      [null, 55, "joined"],
      [55, 60, "fix"],
    ]);
  });

  it("a join that names another ring is refused with badRingRef and is a merge detection", () => {
    const { env, node } = member(100, 50, [150]);
    node.onMessage(ref(70), joinRoute(70, { name: RING.name, uid: RING.uid + 1 }));
    assert.deepEqual(sentTo(env, "badRingRef"), [70]);
    assert.deepEqual(joinOks(env.sent), []);
    assert.equal(at(node.pred), 50);
    assert.deepEqual(positions(node.mergeState.detections), [70]);
  });

  it("a node recovering its successor tells a joiner to come back later", () => {
    const one = member(100, 50, [150, 200]);
    advanceWith(one, 2000, [ref(50)]); // 150 falls silent: I link towards 200 and wait for its fixOk
    assert.equal(one.node.recovering, true);
    one.env.drain();
    one.node.onMessage(ref(70), joinRoute(70));
    assert.deepEqual(sentTo(one.env, "joinLater"), [70]);
    assert.equal(at(one.node.pred), 50);
  });

  it("joinOk makes the joiner a member, and it tells its new predecessor (newSucc)", () => {
    const { env, node } = startNode(100, { contact: ref(200) });
    assert.deepEqual(sentTo(env, "route"), [200], "the join goes to the contact");
    assert.equal(node.isMember, false);
    env.drain();
    node.onMessage(ref(150), {
      type: "joinOk",
      pred: ref(50),
      succ: ref(150),
      succList: refs([200]),
      ring: RING,
    });
    assert.equal(node.isMember, true);
    assert.equal(at(node.pred), 50);
    assert.deepEqual(positions(node.succList), [150, 200]);
    assert.deepEqual(node.ringRef, RING);
    const newSucc = env.sentOf("newSucc");
    assert.equal(newSucc.length, 1);
    assert.equal(at(newSucc[0]?.to), 50);
    assert.equal(at(newSucc[0]?.msg.oldSucc), 150);
    assert.ok(env.events.some((e) => e.type === "joined"));
  });

  it("a joiner takes no part in ring maintenance before its joinOk", () => {
    const { env, node } = startNode(100, { contact: ref(200) });
    env.drain();
    node.onMessage(ref(70), { type: "fix" });
    node.onMessage(ref(70), { type: "hint", candidate: ref(120) });
    node.onMessage(ref(150), { type: "updSuccList", succList: refs([200]), ttl: 3 });
    node.onMessage(ref(150), { type: "newSucc", newSucc: ref(150), oldSucc: ref(200), succList: [] });
    assert.deepEqual(env.sent, []);
    assert.equal(node.pred, null);
    assert.equal(node.succ, null);
  });

  it("a joiner whose joinOk does not come asks again every joinRetryMs, and says join-stalled every third time", () => {
    const { env, node } = startNode(100, { contact: ref(200) });
    env.drain();
    env.advance(2999, node);
    assert.deepEqual(sentTo(env, "route"), []);
    env.advance(1, node);
    assert.deepEqual(sentTo(env, "route"), [200]);
    env.advance(6000, node);
    assert.equal(sentTo(env, "route").length, 3);
    assert.equal(env.events.filter((e) => e.type === "join-stalled").length, 1);
  });

  it("a joiner that asked for one ring ignores a joinOk from another", () => {
    const { node } = startNode(100, { contact: ref(200), wished: RING });
    node.onMessage(ref(150), {
      type: "joinOk",
      pred: ref(50),
      succ: ref(150),
      succList: [],
      ring: { name: RING.name, uid: RING.uid + 7 },
    });
    assert.equal(node.isMember, false);
    assert.equal(node.ringRef, null);
  });

  it("newSucc from a peer between me and my successor makes it my successor; the old one hears predNoMore", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(120), {
      type: "newSucc",
      newSucc: ref(120),
      oldSucc: ref(150),
      succList: refs([150, 200]),
    });
    assert.equal(at(node.succ), 120);
    assert.deepEqual(positions(node.succList), [120, 150, 200]);
    assert.deepEqual(sentTo(env, "predNoMore"), [150]);
    assert.deepEqual(sentTo(env, "updSuccList"), [50], "my pred learns my new list");
  });

  it("newSucc from beyond my successor changes nothing", () => {
    const { env, node } = member(100, 50, [150, 200]);
    node.onMessage(ref(170), {
      type: "newSucc",
      newSucc: ref(170),
      oldSucc: ref(200),
      succList: refs([200]),
    });
    assert.equal(at(node.succ), 150);
    assert.deepEqual(positions(node.succList), [150, 200]);
    assert.deepEqual(env.sent, []);
  });
});

describe("relaxed ring: leave (docs/relaxed-ring.md §4)", () => {
  it("a leaving predecessor hands me its range: my pred becomes its pred", () => {
    const { node } = member(100, 50, [150]);
    assert.equal(node.owns(30n), false);
    node.onMessage(ref(50), { type: "leaving", pred: ref(20), succ: ref(100), succList: refs([100, 150]) });
    assert.equal(at(node.pred), 20);
    assert.equal(node.owns(30n), true);
  });

  it("a leaving successor names its own: I take it and ask it by fix", () => {
    const { env, node } = member(100, 50, [150, 200, 250]);
    node.onMessage(ref(150), { type: "leaving", pred: ref(100), succ: ref(200), succList: refs([200, 250]) });
    assert.equal(at(node.succ), 200);
    assert.deepEqual(positions(node.succList), [200, 250]);
    assert.deepEqual(sentTo(env, "fix"), [200]);
  });

  it("a node that left tells both neighbours and answers nothing after", () => {
    const { env, node } = member(100, 50, [150]);
    node.leave();
    assert.deepEqual(sentTo(env, "leaving").sort(), [150, 50].sort());
    env.drain();
    node.onMessage(ref(70), joinRoute(70));
    node.onMessage(ref(150), { type: "ping", pred: ref(100), succ: ref(200), ring: RING, succListDigest: 0 });
    assert.deepEqual(env.sent, []);
    let result: unknown = null;
    node.lookup(60n, (r) => {
      result = r;
    });
    assert.deepEqual(result, { ok: false, reason: "left" });
    assert.equal(node.owns(60n), false);
  });
});
