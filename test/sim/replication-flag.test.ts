// `--f` of `sim kv` and `sim tx` is the store's replication degree, which symmetric replication needs
// to be a power of two (docs/replication.md §1): anything else is refused before a run starts, from
// the CLI and from typed params alike, with the store's own message.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { resolveParams } from "../../src/sim/run-scenario.js";
import { kv } from "../../src/sim/scenarios/kv.js";
import { tx } from "../../src/sim/scenarios/tx.js";

describe("--f", () => {
  it("accepts powers of two in [1, 64] and refuses the rest", () => {
    for (const scenario of [kv, tx]) {
      for (const f of [1, 2, 4, 8, 64]) assert.equal(resolveParams(scenario, { f: String(f) }).f, f);
      assert.equal(resolveParams(scenario, { f: 8 }).f, 8, "a typed value is accepted too");
      for (const f of ["3", "6", "12", "0", "128", "2.5", "x"])
        assert.throws(() => resolveParams(scenario, { f }), /--f: /, `${scenario.name} --f ${f}`);
      assert.throws(() => resolveParams(scenario, { f: 3 }), /power of two/, "and a typed one checked");
    }
  });

  it("fails `sim kv --f 3` with a clear message and exit code 1, before any run", () => {
    const run = spawnSync("./bin/selfman", ["sim", "kv", "--f", "3", "--json"], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /--f: replication degree f must be a power of two in \[1, 64\], got 3/);
  });
});
