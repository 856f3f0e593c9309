// The ring scenarios through the CLI: every metric docs/metrics.md §3 names is in the JSON, for both
// protocols (sim ppl08 has its own test: test/sim/ppl08.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const RING_METRICS = [
  "lookups",
  "lookupFailures",
  "inconsistentLookups",
  "hopsMean",
  "hopsP50",
  "hopsP99",
  "branches",
  "branchSizeMean",
  "messages",
  "messagesPerNodePerSec",
  "convergedAtSec",
];

function selfman(...args: string[]) {
  const run = spawnSync("./bin/selfman", args, { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("ring scenarios", () => {
  for (const protocol of ["relaxed", "chord"]) {
    it(`sim ring --protocol ${protocol} prints every ring metric`, () => {
      const run = selfman(
        "sim",
        "ring",
        "--nodes",
        "40",
        "--duration",
        "10",
        "--churn",
        "1,0.5,0.5",
        "--protocol",
        protocol,
        "--json",
      );
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout);
      for (const key of RING_METRICS) assert.ok(key in report.metrics, `missing ${key}`);
      assert.equal(report.params.protocol, protocol);
      assert.equal(report.params.succListSize, 8, "protocol constants are echoed");
      assert.ok(report.metrics.lookups > 0);
    });
  }

  it("sim join-storm reports maxResponsiblePerKey and converges", () => {
    const run = selfman("sim", "join-storm", "--nodes", "100", "--duration", "10", "--json");
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.metrics.maxResponsiblePerKey, 1);
    assert.equal(report.metrics.perfect, true);
    assert.notEqual(report.metrics.convergedAtSec, null);
  });

  it("rejects an unknown protocol", () => {
    const run = selfman("sim", "ring", "--protocol", "kademlia");
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /relaxed or chord/);
  });
});
