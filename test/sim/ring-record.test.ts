// Recording a simulated run for the dashboard's replay (docs/dashboard.md §7): a recorded merge run keeps
// its trace (recording only reads), the page's reader rebuilds every frame from the key frames and the
// changes, the split shows two rings before the merge, and the last frame's verdict and digest are the
// ones the recorder reports (what the CLI prints). A file that is not a recording is refused by line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RingRecorder } from "../../src/sim/ring-recorder.js";
import { resolveParams, runScenario } from "../../src/sim/run-scenario.js";
import { scenarios } from "../../src/sim/scenarios/index.js";
import { RingRecord } from "../../src/web/ui/ring-record.js";

const merge = scenarios.find((s) => s.name === "merge");

function recordedMerge(seed: number): {
  traceHash: string;
  plain: string;
  text: string;
  recorder: RingRecorder;
} {
  assert.ok(merge !== undefined);
  const params = resolveParams(merge, { nodes: 24, seed, duration: 60 });
  const plain = runScenario(merge, params).traceHash;
  const recorder = new RingRecorder(250);
  const run = runScenario(merge, params, { progress: () => {}, recorder });
  const text = recorder.text({ scenario: "merge", seed, params });
  return { traceHash: run.traceHash, plain, text, recorder };
}

describe("a recorded merge run, replayed", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: same trace, two rings before the merge, and the last frame the recorder reported`, () => {
      const { traceHash, plain, text, recorder } = recordedMerge(seed);
      assert.equal(traceHash, plain, "recording does not change the run");
      const record = new RingRecord(text);
      const end = recorder.end();
      assert.equal(record.frames.length, end.frames);
      const last = record.at(record.frames.length - 1);
      assert.deepEqual(
        { nodes: last.members, perfect: last.perfect, digest: last.digest },
        { nodes: end.nodes, perfect: end.perfect, digest: end.digest },
      );
      assert.equal(last.perfect, true, "the merge ends in one perfect ring");
      assert.equal(last.rings, 1);
      const split = record.frames.findIndex((_, i) => record.at(i).rings === 2);
      assert.ok(split > 0, "some frame shows the two rings of the split");
      // a frame rebuilt from its key frame equals the frame before it with its changes applied
      const sorted = (nodes: ReadonlyMap<number, unknown>) =>
        [...nodes.entries()].sort((a, b) => a[0] - b[0]);
      for (const i of [split, Math.floor(record.frames.length / 2), record.frames.length - 2]) {
        const stepped = new Map(record.at(i).nodes);
        const frame = record.frames[i + 1];
        assert.ok(frame !== undefined);
        for (const [n, succ, pred, flags] of frame.changed) stepped.set(n, { succ, pred, flags });
        for (const n of frame.gone) stepped.delete(n);
        assert.deepEqual(sorted(record.at(i + 1).nodes), sorted(stepped), `frame ${i + 1}`);
      }
    });
  }

  it("refuses what is not a recording, saying which line and why", () => {
    assert.throws(() => new RingRecord("hello"), /line 1: not JSON/);
    assert.throws(() => new RingRecord('{"format":"other"}'), /line 1: not a selfman-ring-record/);
    const head = '{"format":"selfman-ring-record","version":1}';
    assert.throws(() => new RingRecord(`${head}\n{"t":0,"f":[[0,0,0,1]]}`), /line 2: a frame entry/);
    assert.throws(() => new RingRecord(`${head}\n{"node":[5,"1"]}`), /line 2: a node entry/);
    assert.throws(() => new RingRecord(head), /no frame recorded/);
  });
});
