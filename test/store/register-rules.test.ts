// The register at one replica, rule by rule (docs/register.md §1–§3; src/store/register-service.ts): one
// RegisterService on a scripted ring, driven by regPeek/regRead/regWrite as a proposer would send them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareRounds, type Round, type StoredItem } from "../../src/store/item.js";
import { type RegisterRequest, RegisterService } from "../../src/store/register-service.js";
import { UnsyncedRanges } from "../../src/store/unsynced-ranges.js";
import { ids, iv, keyIn, newEnv, newPort, ref, round, ScriptedRing, sentMsgs } from "./rig.js";

const SELF = ref(100);
const PROPOSER = ref(7);
const { key, replicaId } = keyIn(40, 100);

function rig() {
  const env = newEnv(SELF);
  const ring = new ScriptedRing(SELF, ref(40), ref(160));
  const port = newPort();
  const sync = new UnsyncedRanges(ids, port, ring);
  const service = new RegisterService(env, ids, 4, port, ring, sync);
  let op = 0;
  const send = (msg: RegisterRequest) => {
    service.onRequest(PROPOSER, msg);
    const reply = sentMsgs(env, "regReply").at(-1);
    assert.ok(reply !== undefined, "the replica answered");
    return reply;
  };
  const read = (r: Round) => send({ type: "regRead", op: ++op, key, replicaId, round: r });
  const write = (r: Round, value: number, version = 1) =>
    send({
      type: "regWrite",
      op: ++op,
      key,
      replicaId,
      round: r,
      value,
      version,
      tombstone: false,
      writers: [op],
    });
  const peek = () => send({ type: "regPeek", op: ++op, key, replicaId });
  const stored = (): StoredItem | undefined => port.get(replicaId, key);
  return { env, ring, port, sync, service, read, write, peek, stored, send };
}

describe("the register at a replica", () => {
  it("a read raises the read round", () => {
    const r = rig();
    assert.equal(r.read(round(5)).status, "ok");
    assert.deepEqual(r.stored()?.readRound, round(5));
    assert.equal(r.read(round(7)).status, "ok");
    assert.deepEqual(r.stored()?.readRound, round(7));
  });

  it("a replica refuses a read whose round is below its read round, and tells the round it saw", () => {
    const r = rig();
    r.read(round(5));
    const reply = r.read(round(4));
    assert.equal(reply.status, "nack");
    assert.deepEqual(reply.seen, round(5));
    assert.deepEqual(r.stored()?.readRound, round(5));
  });

  it("a replica refuses a write whose round is below its read round", () => {
    const r = rig();
    r.read(round(5));
    assert.equal(r.write(round(4), 1).status, "nack");
    assert.equal(r.stored()?.version, 0, "nothing written");
  });

  it("a replica takes a write at exactly its read round", () => {
    const r = rig();
    r.read(round(5));
    assert.equal(r.write(round(5), 42).status, "ok");
    assert.equal(r.stored()?.value, 42);
    assert.deepEqual(r.stored()?.writeRound, round(5));
  });

  it("a replica refuses a write whose round is not above the write it holds", () => {
    const r = rig();
    r.write(round(5), 1, 1);
    assert.equal(r.write(round(5), 2, 2).status, "nack", "same round, another write");
    assert.equal(r.write(round(3), 3, 2).status, "nack", "lower round");
    assert.equal(r.stored()?.value, 1);
  });

  it("the same write sent twice is taken once", () => {
    const r = rig();
    r.write(round(5), 9, 1);
    const before = r.stored();
    assert.equal(r.write(round(5), 9, 1).status, "ok");
    assert.equal(r.stored(), before, "the item was not stored again");
  });

  it("a peek answers the write held without promising anything", () => {
    const r = rig();
    r.write(round(5), 9, 1);
    const reply = r.peek();
    assert.equal(reply.status, "ok");
    assert.equal(reply.item?.value, 9);
    assert.deepEqual(r.stored()?.readRound, round(5), "no promise");
    const fresh = rig();
    fresh.peek();
    assert.equal(fresh.port.size, 0, "a peek stores nothing");
  });

  it("a replica refuses a promise while a transaction holds a write lock on the key", () => {
    const r = rig();
    r.write(round(2), 1, 1);
    const held = r.stored();
    assert.ok(held !== undefined);
    const lock = {
      tid: "t1",
      kind: "write" as const,
      version: 1,
      round: round(3),
      value: 2,
      tombstone: false,
      acceptors: [],
    };
    r.port.put({ ...held, locks: [lock] });
    assert.equal(r.read(round(9)).status, "locked");
    assert.equal(r.write(round(9), 5, 2).status, "locked");
  });

  it("a replica answers notResponsible for an id outside its range", () => {
    const r = rig();
    const outside = keyIn(160, 250);
    const reply = r.send({ type: "regPeek", op: 1, key: outside.key, replicaId: outside.replicaId });
    assert.equal(reply.status, "notResponsible");
    assert.equal(reply.item, null);
  });

  it("a replica answers notResponsible for an id that is not one of the key's replica ids", () => {
    const r = rig();
    const reply = r.send({ type: "regRead", op: 1, key, replicaId: ids.add(replicaId, 1n), round: round(1) });
    assert.equal(reply.status, "notResponsible");
    assert.equal(r.port.size, 0);
  });

  it("an unsynced replica does not answer for that range", () => {
    const r = rig();
    r.sync.addRepair(iv(40, 100), 1, null);
    for (const reply of [r.peek(), r.read(round(3)), r.write(round(3), 1)]) {
      assert.equal(reply.status, "abstain");
      assert.equal(reply.item, null);
    }
    assert.equal(r.port.size, 0, "nothing promised or written");
  });

  it("a reply names the replier's predecessor, so the proposer learns its whole range", () => {
    const r = rig();
    assert.equal(r.peek().pred, 40n);
  });

  it("fault hook store.register.reply-twice: the reply goes out twice, the same", () => {
    const r = rig();
    r.env.buggifySites.add("store.register.reply-twice");
    r.read(round(4));
    const replies = sentMsgs(r.env, "regReply");
    assert.equal(replies.length, 2);
    assert.deepEqual(replies[0], replies[1]);
    assert.deepEqual(r.stored()?.readRound, round(4), "promised once");
  });
});

const roundArb = fc.record({ counter: fc.nat(12), proposer: fc.nat(2) });
const stepArb = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), round: roundArb }),
  fc.record({ kind: fc.constant("write" as const), round: roundArb, value: fc.nat(50) }),
);

describe("the register at a replica, for any sequence of requests", () => {
  it("accepted write rounds strictly increase, and no read returns a write older than one acknowledged before", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const r = rig();
        let lastAcked: Round | null = null;
        for (const s of steps) {
          if (s.kind === "read") {
            const reply = r.read(s.round);
            if (reply.status === "ok" && lastAcked !== null)
              assert.ok(
                compareRounds(reply.item?.writeRound ?? round(0, 0), lastAcked) >= 0,
                "a read went back",
              );
            continue;
          }
          const version = (r.stored()?.version ?? 0) + 1;
          const reply = r.write(s.round, s.value, version);
          if (reply.status !== "ok") continue;
          if (lastAcked !== null)
            assert.ok(compareRounds(s.round, lastAcked) > 0, "an accepted write round did not grow");
          lastAcked = s.round;
        }
      }),
    );
  });

  it("every reply reports a seen round at least the replica's read round", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const r = rig();
        for (const s of steps) {
          const reply = s.kind === "read" ? r.read(s.round) : r.write(s.round, s.value, 1);
          const held = r.stored();
          if (held !== undefined) assert.ok(compareRounds(reply.seen, held.readRound) >= 0);
        }
      }),
    );
  });
});
