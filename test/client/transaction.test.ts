// Client-side transactions (docs/client.md §3) against the stand-in server of stand-in-cluster.ts: reads
// carry the tlog and see the transaction's writes; conflicts rerun it at most `attempts` times, then throw
// `conflict` with the keys; concurrent transfers keep the total; reads fail over mid-transaction.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, RequestFailedError, SelfmanError, UncertainError } from "../../src/client/index.js";
import { StandInCluster } from "./stand-in-cluster.js";

describe("client transactions", () => {
  const cluster = new StandInCluster(2);
  before(() => cluster.start());
  after(() => cluster.stop());

  it("commits reads and buffered writes, and a read sees the transaction's own writes", async () => {
    const db = connect(cluster.urls);
    await db.put("alice", 100);
    const seen = await db.transaction(async (tx) => {
      const alice = await tx.read("alice");
      tx.write("alice", (alice as number) - 10);
      tx.addOnNr("bob", 10);
      return [alice, await tx.read("bob"), await tx.read("nobody")];
    });
    assert.deepStrictEqual(seen, [100, 10, undefined]);
    assert.equal((await db.get("alice")).value, 90);
    assert.equal((await db.get("bob")).value, 10);
  });

  it("reruns on conflict after a back-off, and gives up after `attempts` runs with the keys", async () => {
    const db = connect(cluster.urls, { retry: { baseMs: 1, maxMs: 5 } });
    cluster.store.forcedConflicts = 2;
    let runs = 0;
    await db.transaction(async (tx) => {
      runs++;
      tx.write("r", runs);
      await tx.read("r");
    });
    assert.equal(runs, 3);
    assert.equal((await db.get("r")).value, 3);

    cluster.store.forcedConflicts = 10;
    runs = 0;
    const failing = db.transaction(
      async (tx) => {
        runs++;
        await tx.read("g");
      },
      { attempts: 4 },
    );
    await assert.rejects(
      failing,
      (e: unknown) => e instanceof SelfmanError && e.code === "conflict" && e.keys.includes("g"),
    );
    assert.equal(runs, 4);
    cluster.store.forcedConflicts = 0;
  });

  it("keeps the total under concurrent transfers that really conflict", async () => {
    const db = connect(cluster.urls, { retry: { baseMs: 2, maxMs: 20 } });
    await db.put("acct-a", 500);
    await db.put("acct-b", 500);
    const transfer = (from: string, to: string, amount: number) =>
      db.transaction(
        async (tx) => {
          const a = (await tx.read(from)) as number;
          const b = (await tx.read(to)) as number;
          tx.write(from, a - amount);
          tx.write(to, b + amount);
        },
        { attempts: 50 },
      );
    const commitsBefore = cluster.store.commits;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? transfer("acct-a", "acct-b", 7) : transfer("acct-b", "acct-a", 3),
      ),
    );
    const a = (await db.get("acct-a")).value as number;
    const b = (await db.get("acct-b")).value as number;
    assert.equal(a + b, 1000);
    assert.equal(a, 500 - 6 * 7 + 6 * 3);
    assert.ok(cluster.store.commits - commitsBefore > 12, "some commits conflicted and were rerun");
  });

  it("a failed test_and_set ends the transaction with nothing committed and no rerun", async () => {
    const db = connect(cluster.urls);
    await db.put("t", "old");
    let runs = 0;
    const failing = db.transaction(async (tx) => {
      runs++;
      tx.write("t-side", "written");
      tx.testAndSet("t", "other", "new");
      await tx.read("t");
    });
    await assert.rejects(failing, RequestFailedError);
    assert.equal(runs, 1);
    assert.equal((await db.get("t-side")).found, false);
  });

  it("continues on another node when the one in use dies between reads; an uncertain commit is not resent", async () => {
    const db = connect(cluster.urls);
    await db.put("x", 1);
    const first = cluster.nodes.find((n) => n.url === db.nodes.current);
    assert.ok(first !== undefined);
    first.faults.push({ method: "POST", pathPrefix: "/v1/tx", action: { kind: "drop-after-apply" } });
    const value = await db.transaction(async (tx) => {
      const x = (await tx.read("x")) as number;
      tx.write("x", x + 1);
      return x;
    });
    assert.equal(value, 1);
    assert.equal((await db.get("x")).value, 2);
    const second = cluster.nodes.find((n) => n.url === db.nodes.current);
    assert.ok(second !== undefined && second !== first);
    let runs = 0;
    const uncertain = db.transaction(async (tx) => {
      runs++;
      const x = (await tx.read("x")) as number;
      second.faults.push({ method: "POST", pathPrefix: "/v1/tx", action: { kind: "drop-after-apply" } });
      tx.write("x", x + 1);
    });
    await assert.rejects(uncertain, UncertainError);
    assert.equal(runs, 1);
    assert.equal((await db.get("x")).value, 3, "the commit had taken effect");
  });

  it("resends the commit of a transaction that wrote nothing when its connection dies", async () => {
    const db = connect(cluster.urls);
    await db.put("ro", "v");
    let runs = 0;
    const value = await db.transaction(async (tx) => {
      runs++;
      const v = await tx.read("ro");
      const node = cluster.nodes.find((n) => n.url === db.nodes.current);
      node?.faults.push({ method: "POST", pathPrefix: "/v1/tx", action: { kind: "drop-after-apply" } });
      return v;
    });
    assert.deepStrictEqual([value, runs], ["v", 1]);
  });
});
