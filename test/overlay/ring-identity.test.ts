// Ring identity (docs/relaxed-ring.md §3.3, J3; docs/ring-merge.md §6.1): the first node names the ring;
// joiners adopt its ringRef; a join that names another ring is refused with badRingRef and never admitted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import type { RingMessage, RingRef, RingTimer } from "../../src/overlay/messages.js";
import { RelaxedRingNode } from "../../src/overlay/relaxed-ring-node.js";
import { Simulator } from "../../src/sim/engine/simulator.js";

function ringOf(seed: number, size: number) {
  const sim = new Simulator<RingMessage, RingTimer>({ seed });
  const nodes: RelaxedRingNode[] = [];
  const add = (contact: NodeRef | null, wished: RingRef | null = null) => {
    const i = nodes.length;
    sim.addNode((env) => {
      const node = new RelaxedRingNode(env, DEFAULT_OVERLAY, sim.ids, contact, wished);
      nodes[i] = node;
      return node;
    });
    return i;
  };
  add(null);
  for (let i = 1; i < size; i++) sim.at(i * 100, () => add((nodes[0] as RelaxedRingNode).self));
  sim.run(size * 100 + 10_000);
  return { sim, nodes, add };
}

describe("ring identity", () => {
  it("gives every member the first node's ringRef", () => {
    for (const seed of [1, 2, 3]) {
      const { nodes } = ringOf(seed, 12);
      const ref = nodes[0]?.ringRef;
      assert.ok(ref !== null && ref !== undefined);
      for (const node of nodes) assert.deepEqual(node.ringRef, ref);
    }
  });

  it("refuses a joiner that names another ring, and admits one that names this ring", () => {
    const { sim, nodes, add } = ringOf(7, 8);
    const contact = (nodes[0] as RelaxedRingNode).self;
    const ours = nodes[0]?.ringRef as RingRef;
    const refusals: unknown[] = [];
    sim.observe({
      onEmit: (_node, event) => (event.type === "bad-ring-ref" ? refusals.push(event) : undefined),
    });
    const stranger = add(contact, { name: "elsewhere", uid: ours.uid + 1 });
    const friend = add(contact, ours);
    sim.run(sim.nowMs + 20_000);
    assert.equal(nodes[stranger]?.isMember, false);
    assert.ok(refusals.length > 0, "the stranger was told badRingRef");
    assert.equal(nodes[friend]?.isMember, true);
    assert.deepEqual(nodes[friend]?.ringRef, ours);
  });
});
