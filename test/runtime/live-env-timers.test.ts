// Live timers (src/runtime/live-env.ts, docs/live-runtime.md §4): a zero-delay timer — an acceptor's
// "bundle what has arrived" — fires once the I/O already read is handled, before any timer with a delay
// (Node's setTimeout would wait at least 1 ms); a cancelled one never fires.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TimerId } from "../../src/core/env.js";
import type { Msg } from "../../src/core/message.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { LiveEnv } from "../../src/runtime/live-env.js";

type Tick = Msg<"tick", { name: string }>;

const self: NodeRef = { id: 1n, addr: "127.0.0.1:1", nonce: 1 };

/** An env whose timers record their names as they fire; `fired(name)` resolves when that one has. */
function timedEnv() {
  const order: string[] = [];
  const waiters = new Map<string, () => void>();
  const env = new LiveEnv<Msg<"none">, Tick>(self, {
    send: () => {},
    emit: () => {},
    onHandlerError: (_entry, error) => assert.fail(String(error)),
    onInvariantViolation: (violation) => assert.fail(violation.message),
  });
  env.bind({
    start: () => {},
    onMessage: () => {},
    onTimer: (tag: Tick, _id: TimerId) => {
      order.push(tag.name);
      waiters.get(tag.name)?.();
    },
  });
  const fired = (name: string) => new Promise<void>((resolve) => waiters.set(name, resolve));
  return { env, order, fired };
}

describe("LiveEnv timers", () => {
  it("a zero delay fires before a 1 ms timer set earlier", async () => {
    const { env, order, fired } = timedEnv();
    const last = fired("one-ms");
    env.setTimer(1, { type: "tick", name: "one-ms" });
    env.setTimer(0, { type: "tick", name: "zero" });
    await last;
    assert.deepEqual(order, ["zero", "one-ms"]);
  });

  it("a cancelled zero-delay timer never fires; stop cancels the rest", async () => {
    const { env, order, fired } = timedEnv();
    const last = fired("kept");
    const cancelled = env.setTimer(0, { type: "tick", name: "cancelled" });
    env.setTimer(0, { type: "tick", name: "kept" });
    env.cancelTimer(cancelled);
    await last;
    assert.deepEqual(order, ["kept"]);
    env.setTimer(0, { type: "tick", name: "after-stop" });
    env.stop();
    assert.equal(env.pendingTimers, 0);
  });
});
