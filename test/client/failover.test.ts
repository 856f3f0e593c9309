// Fail-over (docs/client.md §4) against the stand-in server of stand-in-cluster.ts: a refused connection or
// a 503 moves on and resends anything; a connection that dies after sending resends only idempotent calls
// (others: UncertainError); killing the node in use mid-workload loses no acknowledged write.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, SelfmanError, UncertainError } from "../../src/client/index.js";
import { refusingUrl, StandInCluster } from "./stand-in-cluster.js";

describe("client fail-over", () => {
  it("skips a first URL that refuses connections, and keeps using the one that answered", async () => {
    const cluster = await new StandInCluster(1).start();
    try {
      const dead = await refusingUrl();
      const db = connect([dead, ...cluster.urls]);
      await db.put("k", 1);
      assert.equal(db.nodes.current, cluster.node(0).url);
      assert.equal((await db.incr("k")).value, 2, "an incr that never left is sent to the next node");
      assert.equal(cluster.node(0).seen.length, 2, "the dead URL is not tried again");
    } finally {
      cluster.stop();
    }
  });

  it("moves on after a 503 and applies a non-idempotent call exactly once", async () => {
    const cluster = await new StandInCluster(2).start();
    try {
      const db = connect(cluster.urls);
      const unavailable = { error: "unavailable", message: "not ready" };
      cluster.node(0).faults.push({
        method: "POST",
        pathPrefix: "/v1/kv/",
        action: { kind: "answer", status: 503, body: unavailable },
      });
      assert.equal((await db.incr("once")).value, 1);
      assert.equal((await db.get("once")).value, 1);
      assert.equal(db.nodes.current, cluster.node(1).url);
    } finally {
      cluster.stop();
    }
  });

  it("resends a put whose connection died after sending, but not an incr", async () => {
    const cluster = await new StandInCluster(2).start();
    try {
      const db = connect(cluster.urls);
      const dropAfter = { kind: "drop-after-apply" } as const;
      cluster.node(0).faults.push({ method: "PUT", pathPrefix: "/v1/kv/p", action: dropAfter });
      await db.put("p", "v");
      assert.deepStrictEqual(await db.get("p"), { found: true, value: "v", version: 2 });
      cluster.node(1).faults.push({ method: "POST", pathPrefix: "/v1/kv/c", action: dropAfter });
      await assert.rejects(
        db.incr("c"),
        (e: unknown) => e instanceof UncertainError && e.code === "unavailable",
      );
      assert.equal(
        (await db.get("c")).value,
        1,
        "it had taken effect: the client was right not to resend it",
      );
      cluster
        .node(0)
        .faults.push({ method: "POST", pathPrefix: "/v1/kv/c", action: { kind: "drop-before" } });
      await assert.rejects(db.incr("c"), UncertainError);
      assert.equal((await db.get("c")).value, 1, "it had not: an UncertainError says either may be so");
    } finally {
      cluster.stop();
    }
  });

  it("makes a request that gets no answer within timeoutMs a timeout, uncertain when not idempotent", async () => {
    const cluster = await new StandInCluster(1).start();
    const silent = await new StandInCluster(1).start();
    try {
      const hang = silent.node(0);
      hang.server.removeAllListeners("request");
      hang.server.on("request", () => {});
      const db = connect([hang.url, cluster.node(0).url], { timeoutMs: 200 });
      await assert.rejects(db.incr("t"), (e: unknown) => e instanceof UncertainError && e.code === "timeout");
      assert.equal((await db.get("t")).found, false, "an idempotent call moved on to the node that answers");
    } finally {
      cluster.stop();
      silent.stop();
    }
  });

  it("fails with unavailable once no node has answered for failoverMs", async () => {
    const urls = [await refusingUrl(), await refusingUrl()];
    const db = connect(urls, { retry: { failoverMs: 300, baseMs: 10, maxMs: 50 } });
    const started = Date.now();
    await assert.rejects(db.incr("x"), (e: unknown) => {
      return (
        e instanceof SelfmanError &&
        !(e instanceof UncertainError) &&
        e.code === "unavailable" &&
        e.status === null
      );
    });
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2_000, `gave up after ${took} ms`);
  });

  it("loses no acknowledged write when the node in use is killed mid-workload, and resumes within 2 s", async () => {
    const cluster = await new StandInCluster(8).start();
    try {
      const db = connect(cluster.urls);
      const acknowledged = new Map<string, number>();
      let incrAcked = 0;
      let incrUncertain = 0;
      let lastAckAt = 0;
      let stop = false;
      const worker = async (w: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const key = `w${w}-${i % 50}`;
          await db.put(key, i);
          acknowledged.set(key, i);
          try {
            await db.incr("counter");
            incrAcked++;
          } catch (e) {
            if (!(e instanceof UncertainError)) throw e;
            incrUncertain++;
          }
          lastAckAt = Date.now();
        }
      };
      const workers = [0, 1, 2, 3].map(worker);
      await until(() => acknowledged.size >= 100, 5_000);
      const victim = cluster.nodes.find((n) => n.url === db.nodes.current);
      assert.ok(victim !== undefined);
      const killedAt = Date.now();
      victim.kill();
      await until(() => lastAckAt > killedAt && db.nodes.current !== victim.url, 2_000);
      const resumedMs = lastAckAt - killedAt;
      const countAtKill = acknowledged.size;
      await until(() => incrAcked >= 50 + countAtKill, 5_000);
      stop = true;
      await Promise.all(workers);
      for (const [key, value] of acknowledged) {
        const got = await db.get(key);
        assert.equal(got.value, value, `acknowledged put of ${key} lost`);
      }
      const counter = (await db.get("counter")).value;
      assert.ok(typeof counter === "number" && counter >= incrAcked && counter <= incrAcked + incrUncertain);
      assert.ok(resumedMs < 2_000, `resumed after ${resumedMs} ms`);
    } finally {
      cluster.stop();
    }
  });
});

/** Polls `condition` until it holds; fails when `deadlineMs` passes first. */
async function until(condition: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
