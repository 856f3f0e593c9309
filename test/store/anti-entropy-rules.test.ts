// Anti-entropy, rule by rule (docs/replication.md §5; src/store/anti-entropy.ts, src/store/digest.ts): one
// node's ReplicaStore sends digests of its range on a timer, answers others' digests with the items in the
// buckets that differ, and merges what comes back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bucketOf, DIGEST_BUCKETS, digest } from "../../src/store/digest.js";
import { replicaIds } from "../../src/store/replicas.js";
import { ids, iv, keyIn, ref, round, StoreRig, sentMsgs, written } from "./rig.js";

const PERIOD_MS = 1000;
const S = ref(200);
const P = ref(40);
const SUCC = ref(250);
const OTHER = ref(255); // every lookup lands here

function node(): StoreRig {
  return new StoreRig(S, P, SUCC, { members: [OTHER], config: { antiEntropyMs: PERIOD_MS } });
}

describe("anti-entropy", () => {
  it("sends a digest of its range to the owner of the same range in another class", () => {
    const rig = node();
    rig.put(60);
    rig.put(150);
    rig.store.start();
    rig.advance(PERIOD_MS * 1.5);
    const [sent] = rig.env.sentOf("digest");
    assert.ok(sent !== undefined, "a digest went out within one and a half periods");
    assert.equal(sent.to.addr, OTHER.addr);
    const shift = ids.dist(40n, sent.msg.from);
    assert.ok([64n, 128n, 192n].includes(shift), "another class: shifted by i·N/f, 0 < i < f");
    assert.equal(sent.msg.to, ids.add(200n, shift));
    assert.deepEqual(sent.msg.buckets, digest(ids, rig.port.range(40n, 200n), iv(40, 200)));
  });

  it("repeats every period", () => {
    const rig = node();
    rig.store.start();
    rig.advance(PERIOD_MS * 1.5);
    const first = rig.env.sentOf("digest").length;
    rig.advance(PERIOD_MS * 3);
    assert.equal(rig.env.sentOf("digest").length, first + 3);
  });

  it("a node with an unsynced part sends no digest", () => {
    const rig = new StoreRig(S, null, SUCC, { members: [OTHER], config: { antiEntropyMs: PERIOD_MS } });
    rig.predChange(P, "joined"); // awaits its hand-over
    rig.store.start();
    rig.advance(PERIOD_MS * 3);
    assert.equal(rig.env.sentOf("digest").length, 0);
  });

  it("anti-entropy sends a digest and repairs the buckets that differ", () => {
    const owner = node();
    owner.put(60, "a");
    owner.put(150, "b");
    const buckets = digest(ids, owner.port.range(40n, 200n), iv(40, 200));
    owner.deliver(ref(9), { type: "digest", from: 40n, to: 200n, buckets });
    assert.equal(sentMsgs(owner.env, "digestReply").length, 0, "equal digests: nothing to send");
    const stale = [...buckets];
    const b = bucketOf(ids, 150n, iv(40, 200));
    stale[b] = (stale[b] ?? 0) ^ 1;
    owner.deliver(ref(9), { type: "digest", from: 40n, to: 200n, buckets: stale });
    const [reply] = sentMsgs(owner.env, "digestReply");
    assert.deepEqual(
      reply?.items.map((i) => Number(i.replicaId)),
      [150],
      "only the items of the bucket that differs",
    );
  });

  it("a digest is not answered from an unsynced range", () => {
    const owner = new StoreRig(S, null, SUCC);
    owner.predChange(P, "joined");
    owner.put(60);
    owner.deliver(ref(9), {
      type: "digest",
      from: 40n,
      to: 200n,
      buckets: new Array(DIGEST_BUCKETS).fill(0),
    });
    assert.equal(sentMsgs(owner.env, "digestReply").length, 0);
  });

  it("a digest reply's newer write is merged into the replica this node serves; an older one changes nothing", () => {
    const rig = node();
    const { key, replicaId, all } = keyIn(40, 200);
    const theirs = all.find((r) => r !== replicaId) ?? replicaId;
    rig.port.put(written(key, replicaId, "mine", 2, round(5)));
    rig.deliver(OTHER, { type: "digestReply", items: [written(key, theirs, "older", 1, round(3))] });
    assert.equal(rig.port.get(replicaId, key)?.value, "mine");
    rig.deliver(OTHER, { type: "digestReply", items: [written(key, theirs, "newer", 3, round(7))] });
    assert.equal(rig.port.get(replicaId, key)?.value, "newer");
    assert.equal(rig.port.get(theirs, key), undefined, "stored under my replica id, not theirs");
  });

  it("fault hook store.antientropy.timer-edge: the first round comes at the low edge of its jitter", () => {
    const rig = node();
    rig.env.buggifySites.add("store.antientropy.timer-edge");
    rig.store.start();
    assert.deepEqual(
      rig.env.timersOf("antiEntropy").map((t) => t.dueMs),
      [PERIOD_MS / 2],
    );
  });
});

const itemArb = fc.record({
  id: fc.integer({ min: 41, max: 200 }),
  counter: fc.nat(20),
  key: fc.string({ maxLength: 4 }),
});

describe("digests", () => {
  it("the same items give the same digest, in any order", () => {
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 20 }), (raw) => {
        const items = raw.map((r) => written(r.key, BigInt(r.id), 0, 1, round(r.counter)));
        assert.deepEqual(digest(ids, items, iv(40, 200)), digest(ids, [...items].reverse(), iv(40, 200)));
      }),
    );
  });

  it("a newer write of one item changes its bucket and no other", () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 20 }), fc.nat(), (raw, pick) => {
        const items = raw.map((r, i) => written(`${r.key}/${i}`, BigInt(r.id), 0, 1, round(r.counter)));
        const at = pick % items.length;
        const changed = items.map((item, i) =>
          i === at ? { ...item, writeRound: round(item.writeRound.counter + 100) } : item,
        );
        const before = digest(ids, items, iv(40, 200));
        const after = digest(ids, changed, iv(40, 200));
        const bucket = bucketOf(ids, items[at]?.replicaId ?? 0n, iv(40, 200));
        before.forEach((b, i) => {
          if (i === bucket) assert.notEqual(after[i], b);
          else assert.equal(after[i], b);
        });
      }),
    );
  });

  it("two classes put the same key in the same bucket of their shifted ranges", () => {
    for (const key of ["a", "b", "c", "d"]) {
      const rs = replicaIds(ids, 4, key);
      const home = iv(Number(ids.add(rs[0] ?? 0n, -10n)), Number(ids.add(rs[0] ?? 0n, 30n)));
      const b0 = bucketOf(ids, rs[0] ?? 0n, home);
      rs.forEach((r, i) => {
        const shifted = { from: ids.add(home.from, 64n * BigInt(i)), to: ids.add(home.to, 64n * BigInt(i)) };
        assert.equal(bucketOf(ids, r, shifted), b0, `${key} class ${i}`);
      });
    }
  });
});
