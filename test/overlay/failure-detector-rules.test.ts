// The failure detector ◇P, one rule per test (docs/failure-detector.md §2, §3): rounds and answers
// are driven by hand, every event it reports is recorded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY, type FailureDetectorConfig } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";

const FD = DEFAULT_OVERLAY.fd; // period 1000, T0 500, Δ 500, Tmax 2000
const peer = (n: number, nonce = 1): NodeRef => ({ id: BigInt(n), addr: `p${n}`, nonce });

function detector(config: FailureDetectorConfig = FD) {
  const events: string[] = [];
  const fd = new FailureDetector(config, {
    crash: (p) => events.push(`crash ${p.addr}#${p.nonce}`),
    alive: (p) => events.push(`alive ${p.addr}#${p.nonce}`),
    ping: (p) => events.push(`ping ${p.addr}#${p.nonce}`),
  });
  return { fd, events };
}

/** One false suspicion of `p` from `atMs`: unanswered for a long while, then it answers. */
function falseSuspicion(fd: FailureDetector, p: NodeRef, atMs: number): void {
  fd.round(atMs);
  fd.round(atMs + 10 * FD.pingPeriodMs);
  fd.heard(p, atMs + 10 * FD.pingPeriodMs + 1);
}

describe("failure detector (docs/failure-detector.md)", () => {
  it("a peer unanswered for the timeout is suspected, and not a moment before", () => {
    const { fd, events } = detector();
    const p = peer(1);
    fd.monitor(p);
    fd.round(0);
    assert.deepEqual(events, ["ping p1#1"]);
    fd.round(FD.timeoutMs - 1);
    assert.equal(fd.isSuspected(p), false);
    fd.round(FD.timeoutMs);
    assert.equal(fd.isSuspected(p), true);
    assert.deepEqual(
      events.filter((e) => e.startsWith("crash")),
      ["crash p1#1"],
    );
  });

  it("a suspicion is reported once, however long the silence", () => {
    const { fd, events } = detector();
    fd.monitor(peer(1));
    for (let t = 0; t < 20_000; t += FD.pingPeriodMs) fd.round(t);
    assert.equal(events.filter((e) => e.startsWith("crash")).length, 1);
  });

  it("a peer that answers each ping within the timeout is never suspected", () => {
    const { fd, events } = detector();
    const p = peer(1);
    fd.monitor(p);
    for (let t = 0; t < 60_000; t += FD.pingPeriodMs) {
      fd.round(t);
      fd.heard(p, t + FD.timeoutMs - 1);
    }
    assert.equal(events.filter((e) => e.startsWith("crash")).length, 0);
  });

  it("an answer after suspicion is `alive` and raises the timeout by Δ up to Tmax", () => {
    const { fd, events } = detector();
    const p = peer(1);
    fd.monitor(p);
    const timeouts = [fd.timeoutMs];
    for (let i = 0; i < 5; i++) {
      falseSuspicion(fd, p, i * 100_000);
      timeouts.push(fd.timeoutMs);
    }
    assert.deepEqual(timeouts, [500, 1000, 1500, 2000, 2000, 2000]);
    assert.equal(events.filter((e) => e.startsWith("alive")).length, 5);
    assert.equal(fd.falseSuspicions, 5);
  });

  it("D2: a configuration outside [T0, Tmax], or with a negative Δ or no period, is refused at construction", () => {
    const refused = (config: FailureDetectorConfig, words: RegExp) =>
      assert.throws(
        () => detector(config),
        (e: unknown) => e instanceof RangeError && words.test(e.message),
      );
    refused({ ...FD, timeoutMs: 1000, timeoutMaxMs: 600 }, /Tmax must be at least T0/);
    refused({ ...FD, timeoutStepMs: -1 }, /Δ must be 0 or more/);
    refused({ ...FD, timeoutMs: 0 }, /T0 must be a positive number/);
    refused({ ...FD, pingPeriodMs: Number.NaN }, /ping period must be a positive number/);
    const { fd } = detector({ ...FD, timeoutMs: 700, timeoutStepMs: 0, timeoutMaxMs: 700 });
    falseSuspicion(fd, peer(1), 0);
    assert.equal(fd.timeoutMs, 700, "T0 = Tmax is allowed: the timeout never moves");
  });

  it("a different nonce at a watched address is a crash of the old incarnation", () => {
    const { fd, events } = detector();
    const old = peer(1, 1);
    fd.monitor(old);
    fd.heard(peer(1, 2), 100);
    assert.deepEqual(events, ["crash p1#1"]);
    assert.equal(fd.isSuspected(old), true);
    assert.equal(fd.isSuspected(peer(1, 2)), false);
    assert.equal(fd.timeoutMs, FD.timeoutMs, "a restart is no false suspicion");
  });

  it("a peer heard within most of a period is not pinged", () => {
    const { fd, events } = detector();
    const p = peer(1);
    fd.monitor(p);
    fd.heard(p, 0);
    fd.round(0.8 * FD.pingPeriodMs);
    assert.deepEqual(events, []);
    fd.round(0.9 * FD.pingPeriodMs);
    assert.deepEqual(events, ["ping p1#1"]);
  });

  it("a peer no longer watched is neither pinged nor suspected", () => {
    const { fd, events } = detector();
    const p = peer(1);
    fd.monitor(p);
    fd.unmonitor(p);
    for (let t = 0; t < 5000; t += FD.pingPeriodMs) fd.round(t);
    assert.deepEqual(events, []);
    assert.equal(fd.isMonitored(p), false);
    assert.equal(fd.isSuspected(p), false);
  });

  it("a newer incarnation that is monitored replaces the suspected one, unsuspected", () => {
    const { fd } = detector();
    fd.monitor(peer(1, 1));
    fd.round(0);
    fd.round(FD.timeoutMs);
    fd.monitor(peer(1, 2));
    assert.equal(fd.isSuspected(peer(1, 2)), false);
    assert.equal(fd.isMonitored(peer(1, 1)), false);
  });
});
