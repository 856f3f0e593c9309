// Group commit (src/runtime/durable-outbox.ts, docs/architecture.md §5): whatever the interleaving of
// store writes, sends and disk syncs, no message leaves before every write made up to its send is on
// disk, messages leave in the order they were sent, and once the syncs complete every one has left.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CheckedRef } from "../../src/core/node-ref.js";
import { DurableOutbox } from "../../src/runtime/durable-outbox.js";

const peer = new CheckedRef(7n, "127.0.0.1:9", 1);

type Step = "write" | "post" | "sync";

/** A disk whose syncs complete only when the test says so, oldest first. */
class ControlledDisk {
  writes = 0;
  durable = 0;
  private readonly pending: { covers: number; done: () => void; promise: Promise<void> }[] = [];

  sync = (): Promise<void> => {
    let done = () => {};
    const promise = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.pending.push({ covers: this.writes, done, promise });
    return promise;
  };

  /** Completes the oldest sync; resolves after the outbox has handled it. */
  async completeOne(): Promise<boolean> {
    const next = this.pending.shift();
    if (next === undefined) return false;
    this.durable = Math.max(this.durable, next.covers);
    next.done();
    await next.promise;
    return true;
  }
}

describe("DurableOutbox", () => {
  it("sends nothing before its writes are durable, in order, and everything in the end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Step>("write", "post", "post", "sync"), { maxLength: 80 }),
        async (steps) => {
          const disk = new ControlledDisk();
          const sent: { seq: number; writesAtPost: number }[] = [];
          const outbox = new DurableOutbox<{ seq: number; writesAtPost: number }>(
            disk.sync,
            (_to, msg) => {
              assert.ok(
                msg.writesAtPost <= disk.durable,
                `message ${msg.seq} left with ${msg.writesAtPost} writes made but ${disk.durable} durable`,
              );
              sent.push(msg);
            },
            () => assert.fail("no sync fails here"),
          );
          let posted = 0;
          for (const step of steps) {
            if (step === "write") {
              disk.writes++;
              outbox.noteWrite();
            } else if (step === "post") outbox.post(peer, { seq: posted++, writesAtPost: disk.writes });
            else await disk.completeOne();
          }
          while (await disk.completeOne()) {}
          assert.deepEqual(
            sent.map((m) => m.seq),
            Array.from({ length: posted }, (_, i) => i),
          );
          assert.equal(outbox.figures().waiting, 0);
        },
      ),
    );
  });

  it("sends at once while nothing is unsynced, and holds one sync for many messages", async () => {
    const disk = new ControlledDisk();
    const sent: number[] = [];
    const outbox = new DurableOutbox<number>(
      disk.sync,
      (_to, n) => sent.push(n),
      () => assert.fail("no sync fails here"),
    );
    outbox.post(peer, 1);
    assert.deepEqual(sent, [1]);
    outbox.noteWrite();
    disk.writes++;
    for (const n of [2, 3, 4]) outbox.post(peer, n);
    assert.deepEqual(sent, [1]);
    await disk.completeOne();
    assert.deepEqual(sent, [1, 2, 3, 4]);
    assert.equal(outbox.figures().syncs, 1);
    assert.equal(outbox.figures().heldMessages, 3);
  });

  it("a failed sync stops the outbox: nothing held leaves, the failure is reported once", async () => {
    const sent: number[] = [];
    const failures: unknown[] = [];
    const outbox = new DurableOutbox<number>(
      () => Promise.reject(new Error("EIO")),
      (_to, n) => sent.push(n),
      (error) => failures.push(error),
    );
    outbox.noteWrite();
    outbox.post(peer, 1);
    outbox.post(peer, 2);
    await outbox.drained();
    outbox.post(peer, 3);
    assert.deepEqual(sent, []);
    assert.equal(failures.length, 1);
  });
});
