// The overlay's assertions that stay on fire on a planted violation (docs/architecture.md §8), and
// the one way around the acceptance rules — the simulator's pathological rings — stays in the
// simulator.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvariantViolation } from "../../src/core/invariant.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { FailureDetector } from "../../src/overlay/failure-detector.js";
import type { RingMessage, RingTimer } from "../../src/overlay/messages.js";
import { RelaxedRingNode } from "../../src/overlay/relaxed-ring-node.js";
import { RingMerger } from "../../src/overlay/ring-merger.js";
import { RecordingEnv } from "../helpers/recording-env.js";
import { ids, member, RING, ref, refs } from "./one-node.js";

function violates(rule: string, action: () => void): void {
  assert.throws(action, (e: unknown) => e instanceof InvariantViolation && e.rule === rule);
}

describe("overlay assertions fire on a planted violation", () => {
  it("I3: a joiner outside (pred, self] is never taken as pred", () => {
    const { node } = member(100, 50, [150]);
    violates("I3", () => node.onJoinRequest(ref(120), null));
  });

  it("succList: no two entries at one address, and at most L", () => {
    const { node } = member(100, 50, [150]);
    const twin: NodeRef = { id: 160n, addr: "n150", nonce: 2 };
    violates("succList", () =>
      RelaxedRingNode.rewireForSimulation(node, {
        pred: ref(50),
        succ: ref(150),
        succList: [ref(150), twin],
        ring: RING,
      }),
    );
    violates("succList", () =>
      RelaxedRingNode.rewireForSimulation(node, {
        pred: ref(50),
        succ: ref(110),
        succList: refs([110, 120, 130, 140, 150, 160, 170, 180, 190]),
        ring: RING,
      }),
    );
  });

  it("ring identity: it never moves to a larger uid", () => {
    const { node } = member(100, 50, [150]);
    violates("ring identity", () =>
      RelaxedRingNode.rewireForSimulation(node, {
        pred: ref(50),
        succ: ref(150),
        succList: refs([150]),
        ring: { name: RING.name, uid: RING.uid + 1 },
      }),
    );
  });

  it("FD timeout: a configuration whose Tmax lies below T0 is caught at the first false suspicion", () => {
    const fd = new FailureDetector(
      { ...DEFAULT_OVERLAY.fd, timeoutMs: 1000, timeoutMaxMs: 600 },
      { crash() {}, alive() {}, ping() {} },
    );
    const p = ref(7);
    fd.monitor(p);
    fd.round(0);
    fd.round(5000);
    violates("FD timeout", () => fd.heard(p, 5001));
  });

  it("trymerge: only the node responsible for the target's id tells it the pair around it", () => {
    const env = new RecordingEnv<RingMessage, RingTimer>(ref(100));
    const fd = new FailureDetector(DEFAULT_OVERLAY.fd, { crash() {}, alive() {}, ping() {} });
    const merger = new RingMerger(env, DEFAULT_OVERLAY, ids, fd, {
      self: ref(100),
      pred: ref(50),
      succ: ref(150),
      isMember: true,
      succList: refs([150]),
      fingerPeers: () => [],
      routeMergeLookup() {},
    });
    violates("trymerge", () => merger.onMergeLookupDelivered(ref(120, 4)));
    assert.deepEqual(env.sent, []);
  });
});

describe("the way around the acceptance rules stays in the simulator", () => {
  it("only src/sim calls RelaxedRingNode.rewireForSimulation", () => {
    const callers: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith(".ts") && readFileSync(path, "utf8").includes("rewireForSimulation("))
          callers.push(path);
      }
    };
    walk("src");
    assert.deepEqual(callers.sort(), ["src/overlay/relaxed-ring-node.ts", "src/sim/loopy-ring.ts"]);
  });
});
