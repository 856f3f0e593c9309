// Fail-stop on a broken invariant (src/runtime/fail-stop.ts): a turn of protocol code that throws
// InvariantViolation sends none of its messages and emits none of its trace events (so no range change
// of it reaches /ranges), and stops the node — for a message, a timer or a local call alike — while any
// other error is reported once, whatever the entry, and lets the node go on. With real processes: a node that hits
// a planted violation logs the rule as fatal and exits 70, and its supervisor restarts it from its
// data directory, back in a perfect ring under a new pid (node-1, which started the ring, rejoins
// through node-2); a node killed with -9 is a crash, and stays down. Waiting is polling an observable
// condition with a deadline, never a fixed sleep.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { InvariantViolation } from "../../src/core/invariant.js";
import type { Msg } from "../../src/core/message.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { fetchNodeStatus } from "../../src/runtime/admin-client.js";
import { FAIL_STOP_EXIT_CODE, PLANT_VIOLATION_ENV } from "../../src/runtime/fail-stop.js";
import { LiveEnv } from "../../src/runtime/live-env.js";
import { type ClusterFile, type ClusterNode, isRunning } from "../../src/runtime/local-cluster.js";
import { DEFAULT_RESTART, restartDelayMs } from "../../src/runtime/node-supervisor.js";
import { clusterDown, clusterUp, ringJson, tempDir, waitFor } from "../helpers/live-cluster.js";

type TestMsg = Msg<"hello", { n: number }>;
type TestTimer = Msg<"tick">;

const a: NodeRef = { id: 1n, addr: "127.0.0.1:1", nonce: 1 };
const b: NodeRef = { id: 2n, addr: "127.0.0.1:2", nonce: 2 };

/** A LiveEnv whose sends, trace events, handler errors and violations are recorded. */
function recordingEnv() {
  const sent: { to: string; n: number }[] = [];
  /** Sends and events as they were released, in order: "send 1", "emit range-changed". */
  const released: string[] = [];
  const violations: InvariantViolation[] = [];
  const handlerErrors: { entry: string; error: unknown }[] = [];
  let onViolation = () => {};
  let onHandlerError = () => {};
  const env = new LiveEnv<TestMsg, TestTimer>(a, {
    send: (to, msg) => {
      sent.push({ to: to.addr, n: msg.n });
      released.push(`send ${msg.n}`);
    },
    emit: (event) => released.push(`emit ${event.type}`),
    onHandlerError: (entry, error) => {
      handlerErrors.push({ entry, error });
      onHandlerError();
    },
    onInvariantViolation: (violation) => {
      violations.push(violation);
      onViolation();
    },
  });
  const violated = new Promise<void>((resolve) => {
    onViolation = resolve;
  });
  const handlerFailed = new Promise<void>((resolve) => {
    onHandlerError = resolve;
  });
  return { env, sent, released, violations, handlerErrors, violated, handlerFailed };
}

/** Rejects after `ms`: a deadline for a promise the test waits on. */
function deadline(ms: number, what: string): Promise<never> {
  return new Promise((_resolve, reject) =>
    setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref(),
  );
}

describe("fail-stop in a live turn", () => {
  it("a turn that breaks an invariant sends nothing, and the env stops", () => {
    const { env, sent, violations } = recordingEnv();
    env.bind({ start: () => {}, onMessage: () => {}, onTimer: () => {} });
    env.setTimer(60_000, { type: "tick" });
    const ran = env.turn("test", () => {
      env.send(b, { type: "hello", n: 1 });
      env.send(b, { type: "hello", n: 2 });
      throw new InvariantViolation("I3", "pred outside (pred, self]");
    });
    assert.equal(ran, false);
    assert.deepEqual(sent, [], "none of the turn's messages went out");
    assert.deepEqual(
      violations.map((v) => v.rule),
      ["I3"],
    );
    assert.equal(env.isStopped, true);
    assert.equal(env.pendingTimers, 0, "its timers are cancelled");
    env.send(b, { type: "hello", n: 3 });
    let later = false;
    assert.equal(
      env.turn("test", () => {
        later = true;
      }),
      false,
    );
    assert.deepEqual(sent, []);
    assert.equal(later, false, "no turn runs after a fail-stop");
  });

  it("a turn that breaks an invariant emits nothing: its range change never reaches /ranges", () => {
    const { env, released } = recordingEnv();
    env.turn("test", () => {
      env.emit({ type: "range-changed" });
      env.send(b, { type: "hello", n: 1 });
      env.emit({ type: "lookup-answer" });
    });
    assert.deepEqual(
      released,
      ["emit range-changed", "send 1", "emit lookup-answer"],
      "a good turn's events and sends go out when it returns, in order",
    );
    released.length = 0;
    env.turn("test", () => {
      env.emit({ type: "range-changed" });
      assert.deepEqual(released, [], "held while the turn runs");
      throw new InvariantViolation("I2", "pred and succ disagree");
    });
    assert.deepEqual(released, [], "the failing turn's event was dropped with its sends");
    env.emit({ type: "range-changed" });
    assert.deepEqual(released, [], "and nothing is emitted after the stop");
  });

  it("a turn that throws anything else sends what it sent, is reported once, and the caller gets the error", () => {
    const { env, sent, released, violations, handlerErrors } = recordingEnv();
    assert.throws(
      () =>
        env.turn("test", () => {
          env.send(b, { type: "hello", n: 1 });
          throw new TypeError("a plain bug");
        }),
      TypeError,
    );
    assert.deepEqual(sent, [{ to: b.addr, n: 1 }]);
    assert.deepEqual(violations, []);
    assert.deepEqual(
      handlerErrors.map((h) => [h.entry, h.error instanceof TypeError]),
      [["test", true]],
    );
    assert.throws(
      () =>
        env.turn("call kv", () => {
          env.emit({ type: "range-changed" });
          env.turn("inner", () => {
            throw new RangeError("a bug in a nested entry");
          });
        }),
      RangeError,
    );
    assert.deepEqual(
      handlerErrors.map((h) => h.entry),
      ["test", "call kv"],
      "a nested turn's error is the outer turn's, reported once",
    );
    assert.deepEqual(released.at(-1), "emit range-changed", "what it emitted went out");
    assert.equal(
      env.turn("test", () => env.send(b, { type: "hello", n: 2 })),
      true,
      "the node goes on",
    );
    assert.equal(sent.length, 2);
  });

  it("sends wait for the end of the turn; a turn inside a turn is part of it", () => {
    const { env, sent, violations } = recordingEnv();
    env.turn("test", () => {
      env.send(b, { type: "hello", n: 1 });
      assert.deepEqual(sent, [], "held while the turn runs");
      env.turn("test", () => env.send(b, { type: "hello", n: 2 }));
      assert.deepEqual(sent, [], "the inner turn's sends are the outer turn's");
    });
    assert.deepEqual(
      sent.map((s) => s.n),
      [1, 2],
    );
    env.turn("test", () => {
      env.send(b, { type: "hello", n: 3 });
      env.turn("test", () => {
        throw new InvariantViolation("acceptor: no accept below promise", "round 3 < 5");
      });
    });
    assert.deepEqual(
      sent.map((s) => s.n),
      [1, 2],
      "a violation in the inner turn drops the outer turn's sends too",
    );
    assert.equal(violations[0]?.rule, "acceptor: no accept below promise");
  });

  it("a timer handler that throws anything else is reported the same way, and the env goes on", async () => {
    const { env, sent, violations, handlerErrors, handlerFailed } = recordingEnv();
    env.bind({
      start: () => {},
      onMessage: () => {},
      onTimer: () => {
        env.send(b, { type: "hello", n: 8 });
        throw new TypeError("a plain bug in a timer");
      },
    });
    env.setTimer(0, { type: "tick" });
    await Promise.race([handlerFailed, deadline(5000, "the timer's error")]);
    assert.deepEqual(
      handlerErrors.map((h) => h.entry),
      ["timer tick"],
    );
    assert.deepEqual(sent, [{ to: b.addr, n: 8 }]);
    assert.deepEqual(violations, []);
    assert.equal(env.isStopped, false);
  });

  it("a timer handler that breaks an invariant fail-stops the same way", async () => {
    const { env, sent, violations, handlerErrors, violated } = recordingEnv();
    env.bind({
      start: () => {},
      onMessage: () => {},
      onTimer: () => {
        env.send(b, { type: "hello", n: 7 });
        throw new InvariantViolation("I1", "succ outside (self, succ]");
      },
    });
    env.setTimer(0, { type: "tick" });
    await Promise.race([violated, deadline(5000, "the timer's violation")]);
    assert.deepEqual(sent, []);
    assert.equal(violations[0]?.rule, "I1");
    assert.deepEqual(handlerErrors, [], "a violation is not logged as a mere handler error");
  });
});

describe("the supervisor's back-off", () => {
  it("doubles from its minimum, is bounded, and gives up after too many fail-stops in a row", () => {
    const delays = Array.from({ length: DEFAULT_RESTART.maxRestarts }, (_, n) =>
      restartDelayMs(DEFAULT_RESTART, n),
    );
    assert.equal(delays[0], DEFAULT_RESTART.backoffMinMs);
    assert.equal(delays[1], 2 * DEFAULT_RESTART.backoffMinMs);
    for (const d of delays) assert.ok(d !== null && d <= DEFAULT_RESTART.backoffMaxMs);
    assert.equal(delays.at(-1), DEFAULT_RESTART.backoffMaxMs);
    assert.equal(restartDelayMs(DEFAULT_RESTART, DEFAULT_RESTART.maxRestarts), null);
  });
});

const BASE_PORT = 26_400;
const RESTART_DEADLINE_MS = 60_000;

/** The node's log as parsed pino lines. */
async function logLines(node: ClusterNode): Promise<Record<string, unknown>[]> {
  const text = await readFile(node.log, "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("a node process that breaks an invariant", { concurrency: false }, () => {
  let dir = "";
  let cluster: ClusterFile;
  const previous = process.env[PLANT_VIOLATION_ENV];

  before(async () => {
    dir = await tempDir("fail-stop");
    process.env[PLANT_VIOLATION_ENV] = "1"; // inherited by the node processes only through cluster up
    try {
      cluster = await clusterUp(dir, 3, BASE_PORT, "--insecure");
    } finally {
      if (previous === undefined) delete process.env[PLANT_VIOLATION_ENV];
      else process.env[PLANT_VIOLATION_ENV] = previous;
    }
    await waitFor("a perfect ring of 3", 30_000, async () =>
      (await ringJson(dir)).perfect ? true : undefined,
    );
  });
  after(async () => {
    await clusterDown(dir);
  });

  for (const index of [1, 0]) {
    it(`node-${index + 1}: exits ${FAIL_STOP_EXIT_CODE} with the rule logged as fatal, and is restarted into a perfect ring`, async () => {
      const node = cluster.nodes[index] as ClusterNode;
      const before = await fetchNodeStatus(node.admin, 2000);
      process.kill(before.pid, "SIGUSR1"); // arms the planted violation: the next message turn breaks it
      const after = await waitFor("a new incarnation, a ring member again", RESTART_DEADLINE_MS, async () => {
        const status = await fetchNodeStatus(node.admin, 2000);
        return status.pid !== before.pid && status.member ? status : undefined;
      });
      await waitFor("a perfect ring of 3 again", RESTART_DEADLINE_MS, async () => {
        const ring = await ringJson(dir);
        return ring.perfect && ring.nodes.length === 3 ? true : undefined;
      });
      assert.equal(after.id, before.id, "the same ring id, from the data directory");
      assert.notEqual(after.nonce, before.nonce, "a new incarnation");
      assert.equal(isRunning(before.pid), false);
      assert.ok(isRunning(node.supervisorPid), "the same supervisor");
      const lines = await logLines(node);
      const fatal = lines.filter((l) => l.level === 60 && l.pid === before.pid);
      assert.equal(fatal.length, 1, "one fatal line from the old process");
      assert.equal(fatal[0]?.rule, "planted");
      assert.ok(
        lines.some((l) => l.level === 40 && l.pid === before.pid && l[PLANT_VIOLATION_ENV] === "1"),
        "the node said at start, as a warning, that the test-only switch is on",
      );
      const restart = lines.find((l) => l.role === "supervisor" && l.exitCode === FAIL_STOP_EXIT_CODE);
      assert.ok(restart !== undefined, "the supervisor saw exit code 70 and restarted the node");
    });
  }

  it("a node killed with -9 crashed: its supervisor does not restart it", async () => {
    const node = cluster.nodes[2] as ClusterNode;
    const status = await fetchNodeStatus(node.admin, 2000);
    process.kill(status.pid, "SIGKILL");
    await waitFor("the supervisor to exit", 20_000, async () =>
      isRunning(node.supervisorPid) ? undefined : true,
    );
    await assert.rejects(fetchNodeStatus(node.admin, 2000));
  });
});
