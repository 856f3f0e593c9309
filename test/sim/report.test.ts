// The terminal summary of a scenario run (src/sim/report.ts): a list of names prints on one line, a list of
// records as a grid with one column per field.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summary } from "../../src/sim/report.js";
import type { ScenarioReport } from "../../src/sim/run-scenario.js";

function report(metrics: ScenarioReport["metrics"]): ScenarioReport {
  return {
    scenario: "kv",
    seed: 7,
    params: {},
    metrics,
    ok: true,
    violations: [],
    wallMs: 10,
    events: 1000,
    eventsPerSec: 100_000,
    traceHash: "00",
  };
}

describe("a run's summary", () => {
  it("prints a list of names on one line, an empty list as a dash", () => {
    const text = summary(report({ buggifySites: ["store.handover.split", "tx.final.duplicate"], none: [] }));
    assert.match(text, /^ {2}buggifySites +store\.handover\.split, tx\.final\.duplicate$/m);
    assert.match(text, /^ {2}none +–$/m);
  });

  it("prints a list of records as a grid", () => {
    const text = summary(
      report({
        rounds: [
          { f: 4, msgs: 12 },
          { f: 8, msgs: 40 },
        ],
      }),
    );
    assert.match(text, /^rounds\n {2}f {2}msgs\n {2}4 {4}12\n {2}8 {4}40$/m);
  });
});
