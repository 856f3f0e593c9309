// Lookup consistency (docs/relaxed-ring.md §7.2): concurrent joins (Theorem 1) and crashes without
// partitions (Theorem 2) never give a key two responsible nodes in the relaxed ring, and only the
// responsible node answers; the Chord baseline, on the same seeds and network, does answer wrongly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chordRing } from "../../src/sim/chord-protocol.js";
import { type RingRunConfig, runRing } from "../../src/sim/ring-harness.js";
import { relaxedRing } from "../../src/sim/ring-protocol.js";

const SEEDS = [1, 2, 3, 4, 5];

const storm = (nodes: number): RingRunConfig => ({
  nodes,
  buildJoinGapMs: 5000 / nodes,
  settleMs: 20_000,
  measureMs: 20_000,
  quietMs: 20_000,
  churn: { joins: 0, crashes: 0, leaves: 0 },
  lookupsPerSec: 10,
  connectivity: 1,
});

const churn = (nodes: number): RingRunConfig => ({
  ...storm(nodes),
  buildJoinGapMs: 100,
  measureMs: 60_000,
  quietMs: 60_000,
  churn: { joins: 5, crashes: 2, leaves: 2 },
});

describe("lookup consistency", () => {
  it("concurrent joins keep one responsible node per key and reach the perfect ring (Theorem 1)", () => {
    for (const seed of SEEDS) {
      const m = runRing(relaxedRing(), { seed }, storm(300)).metrics();
      assert.equal(m.maxResponsiblePerKey, 1, `seed ${seed}`);
      assert.equal(m.inconsistentLookups, 0, `seed ${seed}`);
      assert.equal(m.perfect, true, `seed ${seed}`);
    }
  });

  it("churn with crashes and leaves gives the relaxed ring no inconsistent lookup, unlike Chord (Theorem 2)", () => {
    let chordInconsistent = 0;
    for (const seed of SEEDS) {
      const relaxed = runRing(relaxedRing(), { seed }, churn(150)).metrics();
      assert.equal(relaxed.inconsistentLookups, 0, `seed ${seed}`);
      assert.equal(relaxed.maxResponsiblePerKey, 1, `seed ${seed}`);
      assert.equal(relaxed.perfect, true, `seed ${seed}`);
      chordInconsistent += runRing(chordRing(), { seed }, churn(150)).metrics().inconsistentLookups as number;
    }
    assert.ok(
      chordInconsistent > 0,
      "the comparison is real: Chord answers inconsistently under the same churn",
    );
  });
});
