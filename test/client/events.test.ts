// The client's event stream (docs/client.md §5) against the stand-in server of stand-in-cluster.ts: events
// arrive parsed and in order; after the node ends the stream the client resumes with Last-Event-ID and
// misses nothing; when the node dies it fails over to another; close() ends the iteration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, type SelfmanEvent } from "../../src/client/index.js";
import { refusingUrl, StandInCluster } from "./stand-in-cluster.js";

/** Collects events from an iterator in the background, for the test to poll. */
function collect(events: AsyncIterable<SelfmanEvent>): {
  readonly got: SelfmanEvent[];
  readonly done: Promise<void>;
} {
  const got: SelfmanEvent[] = [];
  const done = (async () => {
    for await (const event of events) got.push(event);
  })();
  return { got, done };
}

/** Polls `condition` until it holds; fails when `deadlineMs` passes first. */
async function until(condition: () => boolean, deadlineMs: number, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Emits events until the subscriber's stream is open: the stand-in sends only events after it connects. */
async function emitUntilSeen(cluster: StandInCluster, got: readonly SelfmanEvent[]): Promise<void> {
  await until(
    () => {
      if (got.length === 0) cluster.store.emit("join", { warmup: true });
      return got.length > 0;
    },
    3_000,
    "first event",
  );
}

describe("client events", () => {
  it("yields parsed events in order, with bigints intact, and ends on close()", async () => {
    const cluster = await new StandInCluster(1).start();
    try {
      const db = connect(cluster.urls);
      const { got, done } = collect(db.events());
      await emitUntilSeen(cluster, got);
      cluster.store.emit("crash", { node: "n1", id: 2n ** 100n });
      cluster.store.emit("tx", { committed: true });
      await until(() => got.length >= 3, 3_000, "three events");
      const last = got.slice(-2);
      assert.deepStrictEqual(
        last.map((e) => [e.kind, e.data]),
        [
          ["crash", { node: "n1", id: 2n ** 100n }],
          ["tx", { committed: true }],
        ],
      );
      assert.ok(last.every((e) => e.id !== null));
      db.close();
      await done;
    } finally {
      cluster.stop();
    }
  });

  it("reconnects with Last-Event-ID when the node ends the stream, and misses nothing", async () => {
    const cluster = await new StandInCluster(1).start();
    try {
      const db = connect(cluster.urls);
      const node = cluster.node(0);
      const { got, done } = collect(db.events());
      await emitUntilSeen(cluster, got);
      const lastId = got[got.length - 1]?.id;
      node.endEventStreams();
      cluster.store.emit("leave", { n: 1 });
      cluster.store.emit("leave", { n: 2 });
      await until(
        () => got.filter((e) => e.kind === "leave").length === 2,
        3_000,
        "events after the reconnect",
      );
      assert.ok(node.seen.some((s) => s.path === "/v1/events" && s.lastEventId === lastId));
      const ids = got.map((e) => Number(e.id));
      assert.deepStrictEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        "in order, none twice",
      );
      assert.equal(new Set(ids).size, ids.length);
      db.close();
      await done;
    } finally {
      cluster.stop();
    }
  });

  it("fails over to another node when the one streaming dies, and skips nodes that refuse", async () => {
    const cluster = await new StandInCluster(2).start();
    try {
      const db = connect([cluster.node(0).url, await refusingUrl(), cluster.node(1).url]);
      const { got, done } = collect(db.events());
      await emitUntilSeen(cluster, got);
      const seenBefore = got.length;
      cluster.node(0).kill();
      cluster.store.emit("suspect", { node: "n0" });
      await until(() => got.some((e) => e.kind === "suspect"), 3_000, "the event sent while failing over");
      assert.equal(got.length, seenBefore + 1);
      assert.equal(db.nodes.current, cluster.node(1).url);
      assert.ok(
        cluster
          .node(1)
          .seen.some((s) => s.path === "/v1/events" && s.lastEventId === got[seenBefore - 1]?.id),
      );
      db.close();
      await done;
    } finally {
      cluster.stop();
    }
  });
});
