// The register's proposer, rule by rule (docs/register.md §2, §3, §5; src/store/kv-proposer.ts): one
// KvProposer on a scripted ring; the test plays the key's four replicas with the real acceptor functions,
// answering, staying silent or abstaining as each rule needs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingId } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import {
  compareRounds,
  emptyItem,
  ROUND_ZERO,
  type Round,
  type StoredItem,
  type Value,
  WRITERS_KEPT,
} from "../../src/store/item.js";
import { type KvOp, KvProposer, type KvResult } from "../../src/store/kv-proposer.js";
import { acceptRead, acceptWrite, seenRound, stateOf } from "../../src/store/register.js";
import type { ReplyStatus } from "../../src/store/store-messages.js";
import { ids, keyIn, type MessageOf, newEnv, ref, round, ScriptedRing, sentMsgs, written } from "./rig.js";

const CONFIG = { replication: 4, attemptTimeoutMs: 2000, deadlineMs: 10_000, backoffMs: 50 };
const { key, all } = keyIn(0, 255);

type Mode = "answer" | "silent" | "abstain" | "notResponsible" | "silentOnWrite";

/** One replica of the key, played by the test: the real acceptor over an item, or a scripted answer. */
class Replica {
  item: StoredItem;
  mode: Mode = "answer";
  readonly node: NodeRef;
  readonly replicaId: RingId;

  constructor(replicaId: RingId) {
    this.replicaId = replicaId;
    this.node = ref(Number(replicaId));
    this.item = emptyItem(key, replicaId);
  }

  /** The reply to a request, or null (silent). */
  answer(msg: MessageOf<"regPeek" | "regRead" | "regWrite">): MessageOf<"regReply"> | null {
    if (this.mode === "silent" || (this.mode === "silentOnWrite" && msg.type === "regWrite")) {
      if (msg.type === "regWrite") this.apply(msg); // taken, but the answer is lost
      return null;
    }
    const reply = (status: ReplyStatus, item: StoredItem | null): MessageOf<"regReply"> => ({
      type: "regReply",
      op: msg.op,
      replicaId: msg.replicaId,
      status,
      item: item === null ? null : stateOf(item),
      seen: item === null ? ROUND_ZERO : seenRound(item),
      pred: ids.add(this.replicaId, -1n),
    });
    if (this.mode === "abstain" || this.mode === "notResponsible") return reply(this.mode, null);
    if (msg.type === "regPeek") return reply("ok", this.item);
    const answer = msg.type === "regRead" ? acceptRead(this.item, msg.round) : this.apply(msg);
    this.item = answer.item;
    return reply(answer.ok ? "ok" : answer.locked ? "locked" : "nack", answer.item);
  }

  private apply(msg: MessageOf<"regWrite">) {
    const answer = acceptWrite(this.item, msg.round, msg.value, msg.version, msg.tombstone, msg.writers);
    this.item = answer.item;
    return answer;
  }
}

function rig() {
  const self = ref(1);
  const env = newEnv(self);
  const replicas = all.map((id) => new Replica(id));
  const ring = new ScriptedRing(
    self,
    ref(0),
    ref(2),
    replicas.map((r) => r.node),
  );
  const proposer = new KvProposer(env, ids, CONFIG, ring);
  const results: KvResult[] = [];
  /** Requests seen by the replicas, in order. */
  const seen: MessageOf<"regPeek" | "regRead" | "regWrite">[] = [];
  /** Delivers every request sent and every answer, until nothing moves. */
  const deliver = (order?: readonly number[]) => {
    for (;;) {
      const batch = env.drain();
      if (batch.length === 0) return;
      const sorted = order === undefined ? batch : [...batch].sort((a, b) => rank(a.msg) - rank(b.msg));
      for (const { to, msg } of sorted) {
        if (msg.type !== "regPeek" && msg.type !== "regRead" && msg.type !== "regWrite") continue;
        seen.push(msg);
        const replica = replicas.find((r) => r.node.addr === to.addr);
        const reply = replica?.answer(msg);
        if (replica !== undefined && reply !== null && reply !== undefined)
          proposer.onMessage(replica.node, reply);
      }
    }
    function rank(msg: { readonly type: string }): number {
      const at = "replicaId" in msg ? all.indexOf(msg.replicaId as RingId) : -1;
      return order?.indexOf(at) ?? at;
    }
  };
  const submit = (op: KvOp) => proposer.submit(key, op, (r) => results.push(r));
  /** Runs time forward in attempt-sized steps, delivering as it goes, until an answer or `ms` passed. */
  const runUntilAnswer = (ms: number) => {
    const had = results.length;
    for (let t = 0; t < ms && results.length === had; t += 100) {
      deliver();
      env.advance(100, proposer);
    }
    deliver();
  };
  const phases = () => seen.map((m) => m.type);
  /** Delivers the requests sent so far to the replicas `to` lets through (the others are lost), once. */
  const step = (to: (index: number) => boolean) => {
    for (const { to: node, msg } of env.drain()) {
      if (msg.type !== "regPeek" && msg.type !== "regRead" && msg.type !== "regWrite") continue;
      const index = replicas.findIndex((rep) => rep.node.addr === node.addr);
      const replica = replicas[index];
      if (replica === undefined || !to(index)) continue;
      seen.push(msg);
      const reply = replica.answer(msg);
      if (reply !== null) proposer.onMessage(replica.node, reply);
    }
  };
  /** Runs time to the next attempt (past the longest back-off of the first few). */
  const nextAttempt = () => env.advance(500, proposer);
  return {
    env,
    ring,
    proposer,
    replicas,
    results,
    seen,
    deliver,
    submit,
    runUntilAnswer,
    phases,
    step,
    nextAttempt,
  };
}

/** The rig's four replicas, by name. */
function fourReplicas(replicas: readonly Replica[]): [Replica, Replica, Replica, Replica] {
  const [a, b, c, d] = replicas;
  assert.ok(
    a !== undefined && b !== undefined && c !== undefined && d !== undefined && replicas.length === 4,
  );
  return [a, b, c, d];
}

const okValue = (r: KvResult | undefined): Value | undefined => (r?.ok === true ? r.value : undefined);
const everyone = () => true;

/** Another proposer's promise of `r` at a replica (the real acceptor). */
function promise(rep: Replica, r: Round): void {
  rep.item = acceptRead(rep.item, r).item;
}

/** Another proposer's write at a replica (the real acceptor). */
function write(rep: Replica, r: Round, value: Value, version: number, writers: readonly number[]): void {
  rep.item = acceptWrite(rep.item, r, value, version, false, writers).item;
}

/** What a read phase over `reps` takes as the newest state (the highest write round). */
function newestOf(reps: readonly Replica[]): StoredItem | undefined {
  return reps
    .map((rep) => rep.item)
    .reduce<StoredItem | undefined>(
      (a, b) => (a === undefined || compareRounds(b.writeRound, a.writeRound) > 0 ? b : a),
      undefined,
    );
}

describe("the register's proposer", () => {
  it("a write reads a majority with a round, then writes the result to a majority with the same round", () => {
    const r = rig();
    r.submit({ kind: "put", value: "v" });
    r.deliver();
    const reads = r.seen.filter((m) => m.type === "regRead");
    const writes = r.seen.filter((m) => m.type === "regWrite");
    assert.equal(reads.length, 4);
    assert.ok(writes.length >= 3);
    const readRound = reads[0]?.type === "regRead" ? reads[0].round : null;
    for (const w of writes) if (w.type === "regWrite") assert.deepEqual(w.round, readRound);
    assert.deepEqual(r.results, [{ ok: true, value: "v", found: true, applied: true, version: 1 }]);
  });

  it("a get whose peek majority agrees answers without a read or write phase", () => {
    const r = rig();
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, 5, 1, round(3));
    r.submit({ kind: "get" });
    r.deliver();
    assert.deepEqual([...new Set(r.phases())], ["regPeek"]);
    assert.equal(okValue(r.results[0]), 5);
    for (const rep of r.replicas) assert.deepEqual(rep.item.readRound, round(3), "no promise anywhere");
  });

  it("a quorum read with disagreeing replies writes the newest value back before answering", () => {
    const r = rig();
    r.replicas.forEach((rep, i) => {
      rep.item =
        i === 0
          ? written(key, rep.replicaId, "new", 2, round(5))
          : written(key, rep.replicaId, "old", 1, round(3));
    });
    r.submit({ kind: "get" });
    r.deliver([0, 1, 2, 3]);
    assert.deepEqual([...new Set(r.phases())], ["regPeek", "regRead", "regWrite"]);
    const backs = r.seen.filter((m) => m.type === "regWrite");
    for (const w of backs) if (w.type === "regWrite") assert.equal(w.value, "new");
    assert.equal(okValue(r.results[0]), "new");
    const holding = r.replicas.filter((rep) => rep.item.value === "new").length;
    assert.ok(holding >= 3, `the newest value is on a majority before the answer (${holding})`);
  });

  it("the answer to a write-back get waits for the write-back majority", () => {
    const r = rig();
    r.replicas.forEach((rep, i) => {
      rep.item = written(
        key,
        rep.replicaId,
        i === 0 ? "new" : "old",
        i === 0 ? 2 : 1,
        round(i === 0 ? 5 : 3),
      );
      rep.mode = "silentOnWrite";
    });
    r.submit({ kind: "get" });
    r.deliver([0, 1, 2, 3]);
    assert.deepEqual(r.results, [], "no answer while the write-back is unacknowledged");
  });

  it("an operation fails with unavailable when no majority serves by the deadline", () => {
    const r = rig();
    for (const rep of r.replicas) rep.mode = "abstain";
    r.submit({ kind: "put", value: 1 });
    r.runUntilAnswer(15_000);
    const [result] = r.results;
    assert.ok(result !== undefined && !result.ok);
    assert.equal(result.code, "unavailable");
    assert.ok(r.env.now() >= CONFIG.deadlineMs, "not before the deadline");
  });

  it("an operation fails with timeout when no majority answers by the deadline", () => {
    const r = rig();
    for (const rep of r.replicas.slice(0, 2)) rep.mode = "silent";
    r.submit({ kind: "get" });
    r.runUntilAnswer(15_000);
    const [result] = r.results;
    assert.ok(result !== undefined && !result.ok);
    assert.equal(result.code, "timeout");
  });

  it("an operation never answers from fewer than a majority", () => {
    const r = rig();
    for (const rep of r.replicas.slice(0, 2)) rep.mode = "silent";
    r.submit({ kind: "get" });
    r.deliver();
    assert.deepEqual(r.results, []);
  });

  it("a refused round is retried above the highest round seen", () => {
    const r = rig();
    for (const rep of r.replicas) rep.item = { ...rep.item, readRound: round(10, 9) };
    r.submit({ kind: "put", value: 1 });
    r.runUntilAnswer(5000);
    const rounds = r.seen.flatMap((m) => (m.type === "regRead" ? [m.round.counter] : []));
    assert.ok((rounds[0] ?? 99) <= 10, "the first try was below the promise");
    assert.ok(
      rounds.some((c) => c > 10),
      `a later try went above it (${rounds})`,
    );
    assert.equal(r.results[0]?.ok, true);
  });

  it("a retried write that took effect before is not applied twice", () => {
    const r = rig();
    for (const rep of r.replicas) rep.mode = "silentOnWrite";
    r.submit({ kind: "incr", by: 1 });
    r.deliver();
    for (const rep of r.replicas) rep.mode = "answer";
    r.runUntilAnswer(5000);
    assert.deepEqual(r.results, [{ ok: true, value: 1, found: true, applied: true, version: 1 }]);
    for (const rep of r.replicas) assert.equal(rep.item.value, 1, "counted once");
  });

  it("W5: a retry answers with the state of the attempt that took effect, not the last attempt's", () => {
    const r = rig();
    const [a, b, c, d] = fourReplicas(r.replicas);
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, 5, 1, round(0, 9));
    r.submit({ kind: "incr", by: 1 });
    r.step(everyone); // attempt 1 reads 5 from all four
    for (const rep of [b, c, d]) promise(rep, round(5, 9)); // another proposer promises higher
    r.step(everyone); // attempt 1 writes 6 (version 2): only the first replica takes it
    write(b, round(5, 9), 10, 2, [1, 999]); // the other proposer writes 10 on one replica, no more
    r.nextAttempt();
    r.step((i) => i !== 0); // attempt 2 reads 10 from the other three
    assert.ok(
      sentMsgs(r.env, "regWrite").some((m) => m.value === 11 && m.version === 3),
      "attempt 2 sends 11 (version 3)",
    );
    for (const rep of r.replicas) promise(rep, round(7, 9)); // a third proposer promises higher still
    r.step(everyone); // attempt 2's write is refused everywhere
    // The third proposer read the first, third and fourth replica: the newest is attempt 1's 6, which
    // it writes back — the increment took effect as 5 -> 6.
    for (const rep of [a, c, d]) write(rep, round(7, 9), 6, 2, a.item.writers);
    r.nextAttempt();
    r.runUntilAnswer(5000);
    assert.deepEqual(r.results, [{ ok: true, value: 6, found: true, applied: true, version: 2 }]);
    for (const rep of [a, c, d]) assert.equal(rep.item.value, 6, "counted once");
  });

  it("W5: a retry finds its id in any copy of the newest state, though a transaction's commit kept another copy's ids", () => {
    const r = rig();
    const [, b, c, d] = fourReplicas(r.replicas);
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, 5, 1, round(0, 9));
    r.submit({ kind: "incr", by: 1 });
    r.step(everyone); // attempt 1 reads 5 from all four
    const sent = sentMsgs(r.env, "regWrite").at(-1);
    assert.ok(sent !== undefined && sent.value === 6);
    r.step(() => false); // its write is lost on the way...
    for (const rep of [b, c, d]) write(rep, sent.round, 6, 2, sent.writers); // ...but for three replicas' copies
    // A transaction that read 6 (version 2) commits 100 (version 3) on all four. Its commit keeps each
    // replica's own ids, so the first replica, which lagged behind, holds version 3 without the incr's id.
    for (const rep of r.replicas) write(rep, round(50, 9), 100, 3, rep.item.writers);
    r.nextAttempt();
    r.runUntilAnswer(5000); // the first replica answers first
    assert.deepEqual(r.results, [{ ok: true, value: 6, found: true, applied: true, version: 2 }]);
    for (const rep of r.replicas) assert.equal(rep.item.value, 100, "counted once");
  });

  it("W6: an attempt that writes nothing still writes back when an earlier attempt wrote", () => {
    const r = rig();
    const [a, b, c, d] = fourReplicas(r.replicas);
    // The first replica holds "x" (version 2), written there alone; the others hold "s" (version 1).
    a.item = written(key, a.replicaId, "x", 2, round(0, 9));
    for (const rep of [b, c, d]) rep.item = written(key, rep.replicaId, "s", 1, round(0, 5));
    r.submit({ kind: "cas", expected: "x", value: "y" });
    r.step(everyone); // attempt 1 reads "x" as the newest: the cas swaps
    for (const rep of [b, c, d]) promise(rep, round(5, 9));
    r.step(everyone); // attempt 1 writes "y": only the first replica takes it
    assert.equal(a.item.value, "y");
    r.nextAttempt();
    r.step((i) => i !== 0); // attempt 2 reads "s" from the other three, who agree: the cas does not swap
    r.step((i) => i !== 0); // (the write-back, if any)
    assert.deepEqual(r.results, [{ ok: true, value: "s", found: true, applied: false, version: 1 }]);
    // Answered "not swapped", so "y" must never take effect: every majority's newest is "s".
    for (const majority of [
      [a, b, c],
      [a, b, d],
      [a, c, d],
      [b, c, d],
    ])
      assert.equal(newestOf(majority)?.value, "s", "a later read phase finds the answered state");
  });

  it("W7: a retry that cannot tell whether its write took effect long ago fails with timeout", () => {
    const r = rig();
    const [a, b, c, d] = fourReplicas(r.replicas);
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, "o", 1, round(0, 9));
    r.submit({ kind: "put", value: "p" });
    r.step(everyone);
    for (const rep of [b, c, d]) promise(rep, round(5, 9));
    r.step(everyone); // attempt 1 writes "p" (version 2): only the first replica takes it
    // Others take "p" up and write 64 times on top of it: its id is pushed out of the writers kept.
    let writers = a.item.writers;
    for (let i = 0; i < WRITERS_KEPT; i++) writers = [...writers, 1000 + i].slice(-WRITERS_KEPT);
    for (const rep of r.replicas) write(rep, round(6, 9), "q", 2 + WRITERS_KEPT, writers);
    r.nextAttempt();
    r.runUntilAnswer(5000);
    const [result] = r.results;
    assert.ok(result !== undefined && !result.ok, "not answered as applied, nor as not applied");
    assert.equal(result.code, "timeout");
    const again = r.seen.filter((m) => m.type === "regWrite" && m.version > 2);
    assert.deepEqual(again, [], "not written a second time");
    for (const rep of r.replicas) assert.equal(rep.item.value, "q");
  });

  it("incr of a value that is not a number fails with invalid-argument and writes nothing", () => {
    const r = rig();
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, "text", 1, round(3));
    r.submit({ kind: "incr", by: 1 });
    r.runUntilAnswer(5000);
    const [result] = r.results;
    assert.ok(result !== undefined && !result.ok);
    assert.equal(result.code, "invalid-argument");
    assert.ok(!r.phases().includes("regWrite"));
  });

  it("a delete writes a tombstone with the next version", () => {
    const r = rig();
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, 5, 3, round(3));
    r.submit({ kind: "delete" });
    r.runUntilAnswer(5000);
    assert.deepEqual(r.results, [{ ok: true, value: null, found: false, applied: true, version: 4 }]);
    assert.ok(r.replicas.filter((rep) => rep.item.tombstone && rep.item.version === 4).length >= 3);
  });

  it("cas swaps only when the value matches; otherwise it writes nothing", () => {
    const r = rig();
    for (const rep of r.replicas) rep.item = written(key, rep.replicaId, 5, 1, round(3));
    r.submit({ kind: "cas", expected: 4, value: 6 });
    r.runUntilAnswer(5000);
    assert.deepEqual(r.results[0], { ok: true, value: 5, found: true, applied: false, version: 1 });
    assert.ok(!r.phases().includes("regWrite"));
    r.submit({ kind: "cas", expected: 5, value: 6 });
    r.runUntilAnswer(5000);
    assert.deepEqual(r.results[1], { ok: true, value: 6, found: true, applied: true, version: 2 });
  });

  it("a replica's answer counts once, however often it arrives", () => {
    const r = rig();
    for (const rep of r.replicas.slice(2)) rep.mode = "silent";
    r.submit({ kind: "put", value: 1 });
    const requests = r.env.drain();
    for (const { to, msg } of requests) {
      const rep = r.replicas.find((x) => x.node.addr === to.addr);
      if (rep === undefined || (msg.type !== "regRead" && msg.type !== "regPeek" && msg.type !== "regWrite"))
        continue;
      const reply = rep.answer(msg);
      if (reply === null) continue;
      r.proposer.onMessage(rep.node, reply);
      r.proposer.onMessage(rep.node, reply);
    }
    assert.equal(sentMsgs(r.env, "regWrite").length, 0, "two replicas twice are not a majority");
  });
});

describe("the proposer's owner cache", () => {
  it("a reply teaches the replier's range: the next operation goes straight to it, without a lookup", () => {
    const r = rig();
    r.submit({ kind: "get" });
    r.deliver();
    assert.equal(r.ring.lookups.length, 4);
    // The answer came with the first three replies; the fourth arrived after the operation ended.
    r.submit({ kind: "get" });
    r.deliver();
    assert.deepEqual(
      r.ring.lookups.slice(4),
      [all[3]],
      "only the replica that had not answered is looked up",
    );
    assert.equal(r.results.length, 2);
  });

  it("a notResponsible answer evicts the replier: the next operation looks its replica id up again", () => {
    const r = rig();
    r.submit({ kind: "get" });
    r.deliver();
    const wrong = r.replicas[1];
    assert.ok(wrong !== undefined);
    wrong.mode = "notResponsible";
    r.submit({ kind: "get" });
    r.deliver();
    wrong.mode = "answer";
    const before = r.ring.lookups.length;
    r.submit({ kind: "get" });
    r.deliver();
    assert.deepEqual(r.ring.lookups.slice(before), [wrong.replicaId]);
  });

  it("an owner that stayed silent through an attempt is looked up again", () => {
    const r = rig();
    r.submit({ kind: "get" });
    r.deliver();
    const quiet = r.replicas.slice(2);
    for (const rep of quiet) rep.mode = "silent";
    const before = r.ring.lookups.length;
    r.submit({ kind: "put", value: 2 });
    r.runUntilAnswer(CONFIG.attemptTimeoutMs + 500);
    const again = r.ring.lookups.slice(before);
    for (const rep of quiet) assert.ok(again.includes(rep.replicaId), "the silent owner is looked up");
    for (const rep of r.replicas.slice(0, 2))
      assert.ok(!again.includes(rep.replicaId), "one that answered is not");
  });
});
