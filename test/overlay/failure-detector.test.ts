// The ◇P failure detector (docs/failure-detector.md §1, §2): strong completeness (a silent peer is suspected
// one round after its unanswered ping), no suspicion of a peer that answers, `alive` and a longer timeout
// after a false suspicion, and no ping to a peer heard within the last half period.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";

const peer = (n: number, nonce = 1): NodeRef => ({ id: BigInt(n), addr: `p${n}`, nonce });
const PERIOD = DEFAULT_OVERLAY.fd.pingPeriodMs;

function detector() {
  const log: string[] = [];
  const fd = new FailureDetector(DEFAULT_OVERLAY.fd, {
    crash: (p) => log.push(`crash ${p.addr}`),
    alive: (p) => log.push(`alive ${p.addr}`),
    ping: (p) => log.push(`ping ${p.addr}`),
  });
  return { fd, log };
}

describe("FailureDetector", () => {
  it("suspects exactly the peers that stop answering, once each", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (answers) => {
        const { fd, log } = detector();
        const peers = answers.map((_, i) => peer(i));
        for (const p of peers) fd.monitor(p);
        for (let round = 0; round < 5; round++) {
          const t = round * PERIOD;
          fd.round(t);
          answers.forEach((answering, i) => {
            if (answering) fd.heard(peers[i] as NodeRef, t + 20);
          });
        }
        const crashes = log.filter((l) => l.startsWith("crash")).sort();
        const expected = peers
          .filter((_, i) => !answers[i])
          .map((p) => `crash ${p.addr}`)
          .sort();
        assert.deepEqual(crashes, expected);
        peers.forEach((p, i) => {
          assert.equal(fd.isSuspected(p), !answers[i]);
        });
      }),
    );
  });

  it("turns a false suspicion into `alive` and a longer timeout, capped at Tmax", () => {
    const { fd, log } = detector();
    const p = peer(1);
    fd.monitor(p);
    fd.round(0);
    for (let i = 1; i <= 10; i++) {
      fd.round(i * 10 * PERIOD); // long after the ping: suspected
      fd.heard(p, i * 10 * PERIOD + 1); // then it answers after all
      fd.round(i * 10 * PERIOD + PERIOD); // and is pinged again
    }
    assert.equal(log.filter((l) => l === "crash p1").length, 10);
    assert.equal(log.filter((l) => l === "alive p1").length, 10);
    assert.equal(fd.falseSuspicions, 10);
    assert.equal(fd.timeoutMs, DEFAULT_OVERLAY.fd.timeoutMaxMs);
  });

  it("waits for the grown timeout before suspecting", () => {
    const { fd, log } = detector();
    const p = peer(1);
    fd.monitor(p);
    fd.round(0);
    fd.round(PERIOD);
    fd.heard(p, PERIOD + 1); // one false suspicion: the timeout grows to T0 + Δ = 1000 ms
    fd.round(2 * PERIOD); // pinged
    fd.round(2 * PERIOD + 900); // 900 ms < 1000 ms: not yet
    assert.equal(log.filter((l) => l === "crash p1").length, 1);
    fd.round(3 * PERIOD);
    assert.equal(log.filter((l) => l === "crash p1").length, 2);
  });

  it("does not ping a peer heard within the last half period", () => {
    const { fd, log } = detector();
    fd.monitor(peer(1));
    fd.monitor(peer(2));
    fd.heard(peer(1), 900);
    fd.round(1000);
    assert.deepEqual(log, ["ping p2"]);
  });

  it("treats a new incarnation at a watched address as the old one's crash", () => {
    const { fd, log } = detector();
    fd.monitor(peer(1, 1));
    fd.heard(peer(1, 2), 10);
    assert.deepEqual(log, ["crash p1"]);
    assert.equal(fd.isSuspected(peer(1, 1)), true);
  });

  it("forgets unmonitored peers", () => {
    const { fd, log } = detector();
    fd.monitor(peer(1));
    fd.unmonitor(peer(1));
    assert.equal(fd.isMonitored(peer(1)), false);
    fd.round(0);
    assert.deepEqual(log, []);
  });
});
