// A TP, one rule per test (docs/transactions.md §6, §9): a TxParticipant on the node that owns replica 0
// of key "a", over a memory store, driven through the recording Env; the test plays the TM, the
// acceptors and the clock. OCC validation never waits: a conflict is an abort vote at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareRounds, type Round, type StoredItem } from "../../src/store/item.js";
import { MemoryStorePort } from "../../src/store/store-port.js";
import type { TxEntry } from "../../src/tx/tx-lock.js";
import type { TxMessage, TxTimer } from "../../src/tx/tx-messages.js";
import { TxParticipant } from "../../src/tx/tx-participant.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import {
  acceptorsOf,
  CONFIG,
  F,
  FakeRing,
  ids,
  node,
  ROUND,
  read,
  replicasOf,
  responsible,
  write,
} from "./fixtures.js";

const KEY = "a";
const REPLICA_ID = replicasOf(KEY)[0] ?? 0n;
const OWNER = Number(responsible(REPLICA_ID).addr.split(":")[1]);

function participant() {
  const ring = new FakeRing(OWNER);
  const env = new RecordingEnv<TxMessage, TxTimer>(ring.self);
  const port = new MemoryStorePort(ids);
  const serving = { synced: true, serves: () => serving.synced };
  const tp = new TxParticipant(env, ids, CONFIG, port, ring, serving);
  tp.start();
  const from = node(0);
  const prepare = (tid: string, entry: TxEntry, round: Round = ROUND) =>
    tp.onMessage(from, {
      type: "txPrepare",
      tid,
      item: 0,
      replica: 0,
      replicaId: REPLICA_ID,
      entry,
      keys: [entry.key],
      round,
      acceptors: acceptorsOf(0),
    });
  const final = (tid: string, commit: boolean) =>
    tp.onMessage(from, {
      type: "txFinal",
      tid,
      commit,
      item: 0,
      replica: 0,
      key: KEY,
      replicaId: REPLICA_ID,
    });
  /** The vote `tid` got last, and why. */
  const voteOf = (tid: string) => {
    const votes = env.sentOf("txVote").filter((s) => s.msg.tid === tid);
    const last = votes.at(-1)?.msg;
    return last === undefined ? undefined : { vote: last.vote, reason: last.reason };
  };
  const item = (): StoredItem | undefined => port.get(REPLICA_ID, KEY);
  /** The replica as earlier writes left it (their rounds below the transactions' ROUND). */
  const store = (version: number, value: string) => port.put({ ...emptyAt(), version, value });
  return { env, port, serving, tp, prepare, final, voteOf, item, store };
}

describe("a TP validates (docs/transactions.md §6)", () => {
  it("a TP votes abort on a newer version", () => {
    const p = participant();
    p.store(3, "three");
    p.prepare("t1", write(KEY, 2, "x"));
    p.prepare("t2", read(KEY, 2));
    assert.deepEqual(p.voteOf("t1"), { vote: "abort", reason: "read a stale version" });
    assert.deepEqual(p.voteOf("t2"), { vote: "abort", reason: "read a stale version" });
    assert.deepEqual(p.item()?.locks, [], "an abort vote takes no lock");
  });

  it("a TP votes abort while another transaction holds the write lock", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.prepare("t2", write(KEY, 0, "y"));
    p.prepare("t3", read(KEY, 0));
    assert.equal(p.voteOf("t1")?.vote, "prepared");
    assert.deepEqual(p.voteOf("t2"), { vote: "abort", reason: "a concurrent transaction writes it" });
    assert.deepEqual(p.voteOf("t3"), { vote: "abort", reason: "a concurrent transaction writes it" });
  });

  it("a read lock does not block another read", () => {
    const p = participant();
    p.prepare("t1", read(KEY, 0));
    p.prepare("t2", read(KEY, 0));
    assert.equal(p.voteOf("t1")?.vote, "prepared");
    assert.equal(p.voteOf("t2")?.vote, "prepared");
    assert.deepEqual(
      p.item()?.locks.map((l) => [l.tid, l.kind]),
      [
        ["t1", "read"],
        ["t2", "read"],
      ],
    );
  });

  it("a read lock blocks a write of the version read", () => {
    const p = participant();
    p.prepare("t1", read(KEY, 0));
    p.prepare("t2", write(KEY, 0, "x"));
    assert.deepEqual(p.voteOf("t2"), { vote: "abort", reason: "a concurrent transaction reads it" });
  });

  it("a replica that lags behind prepares a write of a newer version despite a read lock", () => {
    const p = participant();
    p.store(1, "one");
    p.prepare("t1", read(KEY, 1));
    p.prepare("t2", write(KEY, 2, "x")); // t2 read version 2 at a majority this replica has not caught up with
    assert.equal(p.voteOf("t2")?.vote, "prepared");
  });

  it("a write is refused while a single-key operation holds a higher round", () => {
    const p = participant();
    p.port.put({ ...(p.item() ?? emptyAt()), readRound: { counter: ROUND.counter + 1, proposer: 0 } });
    p.prepare("t1", write(KEY, 0, "x"));
    assert.deepEqual(p.voteOf("t1"), {
      vote: "abort",
      reason: "a concurrent single-key operation holds a higher round",
    });
  });

  it("a TP votes abort from a replica being repaired", () => {
    const p = participant();
    p.serving.synced = false;
    p.prepare("t1", write(KEY, 0, "x"));
    assert.deepEqual(p.voteOf("t1"), { vote: "abort", reason: "a replica is being repaired" });
    assert.equal(p.item(), undefined, "nothing stored");
  });

  it("a TP stores its lock before it votes, and votes to every acceptor", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    const lock = p.item()?.locks[0];
    assert.equal(lock?.tid, "t1");
    assert.deepEqual(lock?.round, ROUND, "the commit's register round");
    assert.deepEqual(lock?.acceptors, acceptorsOf(0), "whom to ask if the outcome never comes");
    const votes = p.env.sentOf("txVote");
    assert.deepEqual(
      votes.map((s) => s.to.addr),
      acceptorsOf(0).map((a) => a.addr),
    );
    assert.ok(votes.every((s) => s.msg.instance === 0 && s.msg.vote === "prepared"));
  });

  it("a TP gives the same vote to a prepare sent again", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.prepare("t2", write(KEY, 0, "y"));
    p.final("t1", false); // t1's lock goes: t2 would be prepared now
    p.prepare("t2", write(KEY, 0, "y"));
    const votes = p.env.sentOf("txVote").filter((s) => s.msg.tid === "t2");
    assert.equal(votes.length, 2 * F);
    assert.ok(
      votes.every((s) => s.msg.vote === "abort"),
      "one instance, one vote",
    );
  });

  it("a TP that does not own the replica answers misrouted", () => {
    const p = participant();
    const elsewhere = replicasOf(KEY)[2] ?? 0n;
    p.tp.onMessage(node(0), {
      type: "txPrepare",
      tid: "t1",
      item: 0,
      replica: 2,
      replicaId: elsewhere,
      entry: write(KEY, 0, "x"),
      keys: [KEY],
      round: ROUND,
      acceptors: acceptorsOf(0),
    });
    assert.deepEqual(
      p.env.sent.map((s) => s.msg),
      [{ type: "txMisrouted", tid: "t1", item: 0, replica: 2 }],
    );
  });
});

describe("a TP applies the outcome (docs/transactions.md §5, §6)", () => {
  it("a commit writes the lock's value at the version after the one read, with the prepare's round, and releases the lock", () => {
    const p = participant();
    p.store(2, "two");
    p.prepare("t1", write(KEY, 2, "x"));
    p.final("t1", true);
    const item = p.item();
    assert.equal(item?.value, "x");
    assert.equal(item?.version, 3);
    assert.equal(compareRounds(item?.writeRound ?? { counter: 0, proposer: 0 }, ROUND), 0);
    assert.deepEqual(item?.locks, []);
    assert.deepEqual(p.env.sentOf("txApplied").at(-1)?.msg, {
      type: "txApplied",
      tid: "t1",
      item: 0,
      replica: 0,
      holds: true,
    });
  });

  it("an abort releases only the transaction's own locks", () => {
    const p = participant();
    p.store(1, "one");
    p.prepare("t1", read(KEY, 1));
    p.prepare("t2", read(KEY, 1));
    p.final("t1", false);
    assert.deepEqual(
      p.item()?.locks.map((l) => l.tid),
      ["t2"],
    );
    assert.equal(p.item()?.value, "one");
    assert.equal(p.item()?.version, 1);
  });

  it("a final is applied once: a second commit changes nothing and still counts as held", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.final("t1", true);
    p.final("t1", true);
    assert.equal(p.item()?.version, 1);
    assert.deepEqual(
      p.env.sentOf("txApplied").map((s) => s.msg.holds),
      [true, true],
    );
  });

  it("a replica that never prepared answers a commit without claiming to hold it", () => {
    const p = participant();
    p.final("t9", true);
    assert.deepEqual(
      p.env.sentOf("txApplied").map((s) => s.msg.holds),
      [false],
    );
  });

  it("a replica still being repaired that lacks the lock applies no final: the decider sends it again", () => {
    const p = participant();
    p.serving.synced = false;
    p.final("t1", true);
    assert.equal(p.env.sentOf("txApplied").length, 0, "its lock may still be on its way");
  });

  it("a replica still being repaired that holds the lock applies the final", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.serving.synced = false;
    p.final("t1", true);
    assert.equal(p.item()?.value, "x");
    assert.equal(p.item()?.version, 1);
    assert.deepEqual(p.item()?.locks, [], "only a final or an acceptor's answer releases it");
    assert.deepEqual(
      p.env.sentOf("txApplied").map((s) => s.msg.holds),
      [true],
    );
  });

  it("an unsynced replica's lock is released by an acceptor's answer to its ask", () => {
    const p = participant();
    p.prepare("t1", read(KEY, 0));
    p.serving.synced = false;
    p.tp.onMessage(node(4), {
      type: "txFinal",
      tid: "t1",
      commit: false,
      item: -1,
      replica: -1,
      key: KEY,
      replicaId: REPLICA_ID,
    });
    assert.deepEqual(p.item()?.locks, []);
    assert.equal(p.env.sentOf("txApplied").length, 0, "an answer to an ask is not acknowledged");
  });

  it("a prepare that arrives after the replica heard the outcome takes no lock and sends no vote", () => {
    const p = participant();
    p.final("t1", true); // the final overtook the prepare: nothing held, nothing applied
    p.prepare("t1", write(KEY, 0, "x"));
    assert.equal(p.item()?.locks.length ?? 0, 0, "no final would ever release it");
    assert.equal(p.voteOf("t1"), undefined);
  });

  it("a prepare sent again after the outcome still gets the vote given before, and locks nothing", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.final("t1", false);
    p.prepare("t1", write(KEY, 0, "x"));
    assert.deepEqual(p.voteOf("t1"), { vote: "prepared", reason: "" });
    assert.deepEqual(p.item()?.locks, []);
  });

  it("a lock held longer than lockAgeMs makes the replica ask the transaction's acceptors", () => {
    const p = participant();
    p.prepare("t1", write(KEY, 0, "x"));
    p.env.advance(CONFIG.lockCheckMs, p.tp); // first seen here
    p.env.advance(CONFIG.lockAgeMs - 1, p.tp);
    assert.equal(p.env.sentOf("txAsk").length, 0, "not held long enough");
    p.env.advance(CONFIG.lockCheckMs, p.tp);
    const asks = p.env.sentOf("txAsk");
    assert.deepEqual(
      asks.map((s) => s.to.addr),
      acceptorsOf(0).map((a) => a.addr),
    );
    assert.ok(asks.every((s) => s.msg.tid === "t1" && s.msg.key === KEY));
  });
});

function emptyAt(): StoredItem {
  return {
    key: KEY,
    replicaId: REPLICA_ID,
    value: null,
    version: 0,
    tombstone: false,
    readRound: { counter: 0, proposer: 0 },
    writeRound: { counter: 0, proposer: 0 },
    writers: [],
    locks: [],
  };
}
