// The overlay's assertions that stay on fire on a planted violation (docs/architecture.md §8), and
// the one way around the acceptance rules — the simulator's pathological rings — stays in the
// simulator.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvariantViolation } from "../../src/core/invariant.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { RelaxedRingNode } from "../../src/overlay/relaxed-ring-node.js";
import { member, RING, ref, refs } from "./one-node.js";

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

  it("I3: a leaving pred makes me my own pred only if it was my successor too", () => {
    // 50 leaves naming me as its pred while my successor is 150: the whole ring would be mine.
    const { node } = member(100, 50, [150]);
    violates("I3", () =>
      node.onMessage(ref(50), { type: "leaving", pred: ref(100), succ: ref(100), succList: [] }),
    );
  });

  it("I3: the two nodes of a ring: my pred and successor leaves, and I own the whole ring", () => {
    const { node } = member(100, 50, [50]);
    node.onMessage(ref(50), { type: "leaving", pred: ref(100), succ: ref(100), succList: [] });
    assert.equal(node.owns(7n), true);
    assert.equal(node.owns(77n), true);
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
