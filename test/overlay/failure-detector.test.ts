// The ◇P failure detector (algorithms.md §4): strong completeness (a silent peer is suspected at the
// end of the round it was pinged in), no suspicion of a peer that answers, `alive` and a longer
// timeout after a false suspicion, and no ping to a peer heard within the last half period.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";

const peer = (n: number, nonce = 1): NodeRef => ({ id: BigInt(n), addr: `p${n}`, nonce });

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
  it("suspects exactly the pinged peers that stayed silent, once", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (answers) => {
        const { fd, log } = detector();
        const peers = answers.map((_, i) => peer(i));
        for (const p of peers) fd.monitor(p);
        assert.equal(fd.round(0), true);
        answers.forEach((answers, i) => {
          if (answers) fd.heard(peers[i] as NodeRef, 100);
        });
        fd.check();
        fd.round(1000);
        answers.forEach((answers, i) => {
          if (answers) fd.heard(peers[i] as NodeRef, 1100);
        });
        fd.check(); // the silent ones stay silent: nothing is reported twice
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
    let t = 0;
    for (let i = 0; i < 10; i++) {
      fd.round(t);
      fd.check();
      fd.heard(p, t + 400); // late, after check; the next round (600 ms on) pings it again
      t += 1000;
    }
    assert.equal(log.filter((l) => l === "crash p1").length, 10);
    assert.equal(log.filter((l) => l === "alive p1").length, 10);
    assert.equal(fd.falseSuspicions, 10);
    assert.equal(fd.timeoutMs, DEFAULT_OVERLAY.fd.timeoutMaxMs);
    assert.equal(fd.isSuspected(p), false);
  });

  it("does not ping a peer heard within the last half period", () => {
    const { fd, log } = detector();
    fd.monitor(peer(1));
    fd.monitor(peer(2));
    fd.heard(peer(1), 900);
    assert.equal(fd.round(1000), true);
    assert.deepEqual(log, ["ping p2"]);
    fd.heard(peer(2), 1100);
    fd.check();
    assert.deepEqual(log, ["ping p2"], "nobody suspected");
  });

  it("treats a new incarnation at a watched address as the old one's crash", () => {
    const { fd, log } = detector();
    fd.monitor(peer(1, 1));
    fd.heard(peer(1, 2), 10);
    assert.deepEqual(log, ["crash p1"]);
    assert.equal(fd.isSuspected(peer(1, 1)), true);
  });

  it("forgets unmonitored peers", () => {
    const { fd } = detector();
    fd.monitor(peer(1));
    fd.unmonitor(peer(1));
    assert.equal(fd.isMonitored(peer(1)), false);
    assert.equal(fd.round(0), false);
  });
});
