// Paxos Commit in the simulator (docs/transactions.md §5, §8, §9), on a small ring with constant
// latency: a failure-free commit takes 5 one-way delays and is seen by later reads; concurrent
// conflicting transactions never both commit, and of staggered ones exactly the first does; a TM that
// crashes once its prepares are out is finished by an rTM with one decision everywhere and no lock
// left; with a majority of a key's replicas gone a transaction on it never commits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeRef } from "../../src/core/node-ref.js";
import {
  type NodeConfig,
  type NodeMessage,
  type NodeTimer,
  SelfmanNode,
} from "../../src/node/selfman-node.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { Simulator } from "../../src/sim/engine/simulator.js";
import type { Value } from "../../src/store/item.js";
import { DEFAULT_PROPOSER, type KvResult } from "../../src/store/kv-proposer.js";
import { DEFAULT_STORE } from "../../src/store/replica-store.js";
import { replicaIds } from "../../src/store/replicas.js";
import { MemoryStorePort } from "../../src/store/store-port.js";
import { type RequestListOutcome, runRequestList, type TxRequest } from "../../src/tx/request-list.js";
import type { Transaction, TxReadResult } from "../../src/tx/transaction.js";
import { DEFAULT_TX, type TxOutcome } from "../../src/tx/tx-coordinator.js";

const LATENCY_MS = 10;
const CONFIG: NodeConfig = {
  overlay: DEFAULT_OVERLAY,
  store: DEFAULT_STORE,
  proposer: DEFAULT_PROPOSER,
  tx: DEFAULT_TX,
};

class Cluster {
  readonly sim: Simulator<NodeMessage, NodeTimer>;
  readonly nodes: SelfmanNode[] = [];
  readonly ports: MemoryStorePort[] = [];

  constructor(
    seed: number,
    size: number,
    faults: { readonly loss?: number; readonly buggify?: boolean; readonly crashDelivery?: number } = {},
  ) {
    this.sim = new Simulator<NodeMessage, NodeTimer>({
      seed,
      ...(faults.crashDelivery === undefined ? {} : { crashDelivery: faults.crashDelivery }),
      network: { latency: { kind: "constant", ms: LATENCY_MS }, loss: faults.loss ?? 0 },
      // every fault hook active, each firing on one call in ten
      buggify: { enabled: faults.buggify === true, siteProbability: 1, fireProbability: 0.1 },
    });
    for (let i = 0; i < size; i++) {
      this.sim.addNode((env) => {
        const port = new MemoryStorePort(this.sim.ids);
        const contact: NodeRef | null = i === 0 ? null : (this.sim.nodes[0]?.ref ?? null);
        const node = new SelfmanNode(env, CONFIG, this.sim.ids, port, contact);
        this.nodes[i] = node;
        this.ports[i] = port;
        return node;
      });
      this.run(300);
    }
    this.run(30_000);
  }

  run(ms: number): void {
    this.sim.run(this.sim.nowMs + ms);
  }

  /** Runs `work` on node `via` until `done` is called; returns what it was called with. */
  until<T>(start: (done: (value: T) => void) => void, limitMs = 60_000): T {
    let out: { value: T } | null = null;
    start((value) => {
      out = { value };
    });
    const deadline = this.sim.nowMs + limitMs;
    while (out === null && this.sim.nowMs < deadline) this.run(5);
    assert.ok(out !== null, "answered in time");
    return (out as { value: T }).value;
  }

  /** A transaction on node `via` that reads each key and writes `write(key, old)`. */
  readModifyWrite(
    via: number,
    keys: readonly string[],
    write: (key: string, old: Value) => Value,
  ): TxOutcome {
    const tx = this.nodes[via]?.transaction() as Transaction;
    for (const key of keys) {
      const read = this.until<TxReadResult>((done) => tx.read(key, done));
      if (!read.ok) return read;
      this.until<boolean>((done) => tx.write(key, write(key, read.value), (r) => done(r.ok)));
    }
    return this.until<TxOutcome>((done) => tx.commit(done));
  }

  requests(via: number, requests: readonly TxRequest[]): RequestListOutcome {
    const tx = this.nodes[via]?.transaction() as Transaction;
    return this.until<RequestListOutcome>((done) => runRequestList(tx, requests, done));
  }

  get(via: number, key: string): KvResult {
    return this.until<KvResult>((done) => this.nodes[via]?.get(key, done));
  }

  /** Every live replica of `key`: its version, value and locks. */
  replicas(key: string): { version: number; value: Value; locks: number }[] {
    const ids = replicaIds(this.sim.ids, CONFIG.store.replication, key);
    const out: { version: number; value: Value; locks: number }[] = [];
    this.ports.forEach((port, i) => {
      if (!this.sim.isAlive(i)) return;
      for (const id of ids) {
        const item = port.get(id, key);
        if (item !== undefined)
          out.push({ version: item.version, value: item.value, locks: item.locks.length });
      }
    });
    return out;
  }
}

describe("Paxos Commit in the simulator", () => {
  it("transactions increment counters exactly: committed ones are all there, aborted ones are not", () => {
    const c = new Cluster(2, 8);
    let committed = 0;
    for (let i = 0; i < 20; i++) {
      const outcome = c.readModifyWrite(
        i % 8,
        ["x", "y"],
        (_key, old) => (typeof old === "number" ? old : 0) + 1,
      );
      assert.ok(outcome.ok, JSON.stringify(outcome));
      if (outcome.committed) committed++;
    }
    assert.equal(committed, 20, "sequential transactions do not conflict");
    for (const key of ["x", "y"]) {
      const got = c.get(3, key);
      assert.ok(got.ok && got.value === 20, `${key}: ${JSON.stringify(got)}`);
      c.run(1000);
      assert.ok(
        c.replicas(key).every((r) => r.locks === 0),
        "no lock left",
      );
    }
  });

  /** Three transactions on nodes 1, 4 and 6 that read "k" (0) and write 1, 2 and 3; commits `gapMs` apart. */
  function conflicting(seed: number, gapMs: number) {
    const c = new Cluster(seed, 8);
    assert.ok(c.readModifyWrite(0, ["k"], () => 0).ok);
    const txs = [1, 4, 6].map((via) => c.nodes[via]?.transaction() as Transaction);
    for (const tx of txs) c.until<boolean>((done) => tx.read("k", (r) => done(r.ok)));
    for (const [i, tx] of txs.entries()) c.until<boolean>((done) => tx.write("k", i + 1, (r) => done(r.ok)));
    const outcomes: (TxOutcome | undefined)[] = [undefined, undefined, undefined];
    for (const [i, tx] of txs.entries()) {
      if (i > 0) c.run(gapMs);
      tx.commit((o) => {
        outcomes[i] = o;
      });
    }
    c.run(30_000);
    assert.ok(
      outcomes.every((o) => o !== undefined),
      "every commit is answered",
    );
    const winners = outcomes.flatMap((o, i) => (o?.ok && o.committed ? [i + 1] : []));
    for (const o of outcomes) if (o?.ok && !o.committed) assert.deepEqual(o.conflicts, ["k"]);
    const got = c.get(2, "k");
    assert.ok(got.ok);
    assert.equal(got.value, winners[0] ?? 0, "the store holds the winner's write, or the value read");
    assert.ok(
      c.replicas("k").every((r) => r.locks === 0),
      "no lock left",
    );
    return { winners, outcomes };
  }

  it("of three transactions that read and write one key and commit at once, at most one commits: the replicas may lock for different ones, so none may", () => {
    const wins: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const { winners, outcomes } = conflicting(seed, 0);
      assert.ok(winners.length <= 1, `seed ${seed}: ${JSON.stringify(outcomes)}`);
      wins.push(winners.length);
    }
    // Both happen in these seeds: a first-come lock at a majority of the replicas, or a split of them.
    assert.ok(wins.includes(0) && wins.includes(1), JSON.stringify(wins));
  });

  it("of three such transactions whose commits start 100 ms apart, exactly the first commits: the later ones find its lock or its version", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { winners, outcomes } = conflicting(seed, 100);
      assert.deepEqual(winners, [1], `seed ${seed}: ${JSON.stringify(outcomes)}`);
    }
  });

  for (const crashDelivery of [0, 1]) {
    const delivered = crashDelivery === 1 ? "delivered" : "lost";
    it(`a TM that crashes once its prepares are out is finished by an rTM: both keys commit, one decision everywhere, no lock left (its messages in flight ${delivered})`, () => {
      const byRtm: number[] = [];
      for (let crashAtMs = 0; crashAtMs <= 60; crashAtMs += 10) {
        const c = new Cluster(10 + crashAtMs, 10, { crashDelivery });
        assert.ok(c.readModifyWrite(3, ["a", "b"], () => "old").ok);
        const decisions: { from: number; type: string; tid: string; commit: boolean }[] = [];
        const inits: string[] = [];
        c.sim.observe({
          onSend: (from, _to, msg) => {
            if (msg.type === "txInit" && from.index === 3) inits.push(msg.tid);
            if (msg.type === "txFinal" || msg.type === "txDecided")
              decisions.push({ from: from.index, type: msg.type, tid: msg.tid, commit: msg.commit });
          },
        });
        const tx = c.nodes[3]?.transaction() as Transaction;
        for (const key of ["a", "b"]) {
          c.until<boolean>((done) => tx.read(key, (r) => done(r.ok)));
          c.until<boolean>((done) => tx.write(key, "new", (r) => done(r.ok)));
        }
        tx.commit(() => {});
        const tid = inits.at(-1);
        c.run(crashAtMs);
        c.sim.crash(3);
        c.run(60_000);
        const at = `crash at ${crashAtMs} ms`;
        const a = c.get(5, "a");
        const b = c.get(7, "b");
        assert.ok(a.ok && b.ok, `${at}: reads answer`);
        const mine = decisions.filter((d) => d.tid === tid);
        if (crashAtMs === 0 && crashDelivery === 0) {
          // The prepares and the log die with the TM (its messages in flight are lost with it).
          assert.deepEqual([a.value, b.value], ["old", "old"], `${at}: neither key`);
          assert.deepEqual(mine, [], `${at}: nobody decided anything`);
        } else {
          assert.deepEqual([a.value, b.value], ["new", "new"], `${at}: both keys committed`);
          assert.ok(mine.length > 0 && mine.every((d) => d.commit), `${at}: one decision everywhere`);
          for (const key of ["a", "b"])
            assert.ok(
              c.replicas(key).filter((r) => r.value === "new" && r.version === 2).length >= 3,
              `${at}: a majority of ${key}'s replicas hold the commit`,
            );
          if (!mine.some((d) => d.from === 3)) {
            assert.ok(
              mine.some((d) => d.type === "txFinal"),
              `${at}: an rTM delivered the commit`,
            );
            byRtm.push(crashAtMs);
          }
        }
        for (const key of ["a", "b"])
          assert.ok(
            c.replicas(key).every((r) => r.locks === 0),
            `${at}: ${key}: no lock left`,
          );
      }
      // A TM that crashed before deciding: an rTM decided (from 10 ms; at 0 ms too when its prepares still arrive).
      const first = crashDelivery === 1 ? [0, 10, 20] : [10, 20];
      assert.deepEqual(byRtm.slice(0, first.length), first, "an rTM decided");
    });
  }

  it("with every fault hook firing, message loss and a TM crash, two counters stay equal and count the commits", () => {
    for (const seed of [21, 22]) {
      const c = new Cluster(seed, 10, { loss: 0.01, buggify: true });
      let committed = 0;
      let unknown = 0;
      for (let i = 0; i < 12; i++) {
        const via = 1 + (i % 9);
        if (!c.sim.isAlive(via)) continue;
        const tx = c.nodes[via]?.transaction() as Transaction;
        let readable = true;
        for (const key of ["x", "y"]) {
          const read = c.until<TxReadResult>((done) => tx.read(key, done));
          if (!read.ok) readable = false;
          else
            c.until<boolean>((done) =>
              tx.write(key, (typeof read.value === "number" ? read.value : 0) + 1, (r) => done(r.ok)),
            );
        }
        if (!readable) continue;
        if (i === 6) {
          tx.commit(() => {});
          c.run(25); // the prepares are out: an rTM finishes it, or it never was
          c.sim.crash(via);
          unknown++;
          continue;
        }
        const outcome = c.until<TxOutcome>((done) => tx.commit(done));
        if (outcome.ok && outcome.committed) committed++;
        else if (!outcome.ok) unknown++;
      }
      c.run(60_000);
      const x = c.get(1, "x");
      const y = c.get(2, "y");
      assert.ok(x.ok && y.ok, `seed ${seed}: reads answer`);
      const value = (v: unknown) => (typeof v === "number" ? v : 0);
      assert.equal(value(x.value), value(y.value), `seed ${seed}: both keys or neither`);
      assert.ok(
        value(x.value) >= committed && value(x.value) <= committed + unknown,
        `seed ${seed}: ${value(x.value)} increments, ${committed} committed, ${unknown} unknown`,
      );
      assert.ok(committed >= 6, `seed ${seed}: most commits go through (${committed})`);
      for (const key of ["x", "y"])
        assert.ok(
          c.replicas(key).every((r) => r.locks === 0),
          `seed ${seed}: ${key}: no lock left`,
        );
    }
  });

  it("commits with a minority of a key's replicas crashed, never with a majority", () => {
    const c = new Cluster(7, 12);
    assert.ok(c.readModifyWrite(0, ["m"], () => 0).ok);
    const owners = (key: string) =>
      replicaIds(c.sim.ids, CONFIG.store.replication, key).map((id) =>
        c.nodes.findIndex((n, i) => c.sim.isAlive(i) && n.ring.owns(id)),
      );
    const first = owners("m").find((i) => i !== 0) as number;
    c.sim.crash(first);
    c.run(30_000);
    const one = c.readModifyWrite(0, ["m"], () => 1);
    assert.ok(one.ok && one.committed, `one replica down: ${JSON.stringify(one)}`);
    // Read and write first, then lose three of the four replicas: the commit must not succeed.
    const tx = c.nodes[0]?.transaction() as Transaction;
    c.until<boolean>((done) => tx.read("m", (r) => done(r.ok)));
    c.until<boolean>((done) => tx.write("m", 2, (r) => done(r.ok)));
    const rest = [...new Set(owners("m"))].filter((i) => i !== 0);
    assert.ok(rest.length >= 3, "the replicas of m live on three nodes other than the TM");
    for (const i of rest.slice(0, 3)) c.sim.crash(i);
    const two = c.until<TxOutcome>((done) => tx.commit(done));
    assert.ok(!(two.ok && two.committed), `a majority down must not commit: ${JSON.stringify(two)}`);
    // Later, with the lost replicas' ranges taken over but not repairable, still no commit.
    c.run(30_000);
    const three = c.readModifyWrite(0, ["m"], () => 3);
    assert.ok(!(three.ok && three.committed), `still no commit: ${JSON.stringify(three)}`);
  });

  it("a partition that splits a key's replicas 2/2 lets neither side commit to it", () => {
    for (const seed of [3, 4]) {
      const c = new Cluster(seed, 12);
      const key = "split";
      assert.ok(c.readModifyWrite(0, [key], () => "before").ok);
      const ids = replicaIds(c.sim.ids, CONFIG.store.replication, key);
      const owners = ids.map((id) => c.nodes.findIndex((n) => n.ring.owns(id)));
      assert.equal(new Set(owners).size, 4, "four distinct replica holders");
      const sideA = new Set([owners[0] as number, owners[1] as number]);
      const sideB = new Set([owners[2] as number, owners[3] as number]);
      c.nodes.forEach((_, i) => {
        if (!sideA.has(i) && !sideB.has(i)) (sideA.size <= sideB.size ? sideA : sideB).add(i);
      });
      c.sim.partition([[...sideA], [...sideB]]);
      c.run(30_000); // suspicions, takeovers, repair attempts on both sides
      const outcomes = [[...sideA][0], [...sideB][0]].map((via) =>
        c.readModifyWrite(via as number, [key], () => `side of ${via}`),
      );
      const committed = outcomes.filter((o) => o.ok && o.committed);
      assert.equal(committed.length, 0, `seed ${seed}: ${JSON.stringify(outcomes)}`);
    }
  });

  it("request lists follow req_list: each request sees the ones before it; a failed one commits nothing", () => {
    const c = new Cluster(5, 8);
    const first = c.requests(1, [
      { op: "write", key: "n", value: 10 },
      { op: "add_on_nr", key: "n", by: 5 },
      { op: "add_del_on_list", key: "l", add: [1, 2, 3, 2], del: [2] },
      { op: "test_and_set", key: "t", old: null, new: "set" },
      { op: "read", key: "n" },
      { op: "commit" },
    ]);
    assert.equal(first.kind, "ran");
    if (first.kind !== "ran") return;
    assert.ok(first.outcome?.ok && first.outcome.committed, JSON.stringify(first.outcome));
    assert.deepEqual(
      first.results.map((r) => (r.ok ? r.value : r.reason)),
      [10, 15, [1, 3, 2], "set", 15],
    );
    // a test_and_set that finds another value fails the list: the write before it is not committed
    const second = c.requests(2, [
      { op: "write", key: "n", value: 99 },
      { op: "test_and_set", key: "t", old: "other", new: "x" },
      { op: "commit" },
    ]);
    assert.equal(second.kind, "failed");
    if (second.kind === "failed") {
      assert.equal(second.index, 1);
      assert.deepEqual(second.results[1], { ok: false, reason: "key_changed", value: "set" });
    }
    const n = c.get(3, "n");
    assert.ok(n.ok && n.value === 15, JSON.stringify(n));
    const wrongType = c.requests(4, [{ op: "add_on_nr", key: "l", by: 1 }, { op: "commit" }]);
    assert.equal(wrongType.kind, "failed");
    // no commit: the list runs, nothing is written
    const dry = c.requests(5, [{ op: "write", key: "n", value: 0 }]);
    assert.ok(dry.kind === "ran" && dry.outcome === null);
    const still = c.get(6, "n");
    assert.ok(still.ok && still.value === 15);
  });

  it("a failure-free commit of two keys takes 5 one-way delays, and reads see it", () => {
    const c = new Cluster(1, 8);
    // warm the caches (owners, rTMs) with a first transaction
    assert.deepEqual(c.readModifyWrite(2, ["a", "b"], () => 1).ok, true);
    const tx = c.nodes[2]?.transaction() as Transaction;
    c.until<boolean>((done) => tx.read("a", (r) => done(r.ok)));
    c.until<boolean>((done) => tx.read("b", (r) => done(r.ok)));
    c.until<boolean>((done) => tx.write("a", 2, (r) => done(r.ok)));
    c.until<boolean>((done) => tx.write("b", 3, (r) => done(r.ok)));
    const startedMs = c.sim.nowMs;
    let endedMs = 0;
    const outcome = c.until<TxOutcome>((done) =>
      tx.commit((o) => {
        endedMs = c.sim.nowMs;
        done(o);
      }),
    );
    assert.ok(outcome.ok && outcome.committed, JSON.stringify(outcome));
    // 5 when no replica or acceptor is the TM's own node (a message to oneself takes no time)
    const delays = (endedMs - startedMs) / LATENCY_MS;
    assert.ok(delays <= 5, `commit took ${delays} one-way delays`);
    for (const [key, value] of [
      ["a", 2],
      ["b", 3],
    ] as const) {
      const got = c.get(5, key);
      assert.ok(got.ok);
      assert.equal(got.value, value);
    }
  });
});
