// The rings the dashboard counts (docs/dashboard.md §6): the cycles of successor pointers, on random
// shapes — k rings of random sizes with nodes hanging off them (branches, or walks that leave the
// answering nodes) — each found once, in ring order, and no hanging node in any.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SurveyedNode } from "../../src/api/ring-survey.js";
import { ringsOf } from "../../src/web/ui/ring-cycles.js";

function at(i: number): string {
  return `127.0.0.1:${10_000 + i}`;
}

/** A node with just what ringsOf reads: its name, address and successor. */
function node(i: number, succ: number | null): SurveyedNode {
  return {
    name: `n${i}`,
    addr: at(i),
    succ: succ === null ? null : { id: String(succ), addr: at(succ), nonce: 1 },
  } as SurveyedNode;
}

describe("the rings of a survey", () => {
  it("finds each cycle once, in ring order, and leaves hanging nodes out", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (sizes, hangers) => {
          const nodes: SurveyedNode[] = [];
          const rings: string[][] = [];
          let next = 0;
          for (const size of sizes) {
            const first = next;
            const ring: string[] = [];
            for (let k = 0; k < size; k++) {
              nodes.push(node(next, k === size - 1 ? first : next + 1));
              ring.push(`n${next}`);
              next++;
            }
            rings.push(ring);
          }
          const inRings = next;
          for (const target of hangers) {
            // a branch node pointing into a ring, or one whose successor does not answer
            nodes.push(node(next, target % 3 === 0 ? 99_999 : target % inRings));
            next++;
          }
          const found = ringsOf(nodes);
          assert.equal(found.length, rings.length);
          const rotate = (r: string[]) => {
            const k = r.indexOf([...r].sort()[0] ?? "");
            return [...r.slice(k), ...r.slice(0, k)];
          };
          const key = (r: string[]) => rotate(r).join(" ");
          assert.deepEqual(found.map(key).sort(), rings.map(key).sort());
        },
      ),
    );
  });
});
