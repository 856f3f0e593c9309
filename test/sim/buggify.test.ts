// `--buggify` is a common flag of every `sim` scenario (docs/simulator.md §4): off by default and then
// no trace changes; on, it is echoed in params and in the replay command, passed to every simulator
// the scenario builds, and the sites that fired are listed in metrics.buggifySites.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.js";
import { replayCommand, resolveParams, runScenario } from "../../src/sim/run-scenario.js";
import { simBase } from "../../src/sim/scenario.js";
import { scenarios } from "../../src/sim/scenarios/index.js";
import { netChaos } from "../../src/sim/scenarios/net-chaos.js";

const small = { nodes: 24, duration: 20 };

describe("--buggify", () => {
  it("is off by default in every scenario, echoed in params, and reaches the simulator config", () => {
    for (const scenario of scenarios) {
      const params = resolveParams(scenario, {});
      assert.equal(params.buggify, false, scenario.name);
      assert.doesNotMatch(replayCommand(scenario, params), /--buggify/);
      const on = resolveParams(scenario, { buggify: true });
      assert.match(replayCommand(scenario, on), / --buggify( |$)/, scenario.name);
      assert.deepEqual(simBase(on).buggify, { enabled: true });
    }
  });

  it("lists the sites that fired, only when on, and replays to the same trace", () => {
    const off = runScenario(netChaos, resolveParams(netChaos, { ...small, seed: 5 }));
    assert.equal(off.params.buggify, false);
    assert.equal("buggifySites" in off.metrics, false, "no buggifySites key without --buggify");
    const on = runScenario(netChaos, resolveParams(netChaos, { ...small, seed: 5, buggify: true }));
    assert.deepEqual(on.metrics.buggifySites, ["gossip.double-push"]);
    assert.notEqual(on.traceHash, off.traceHash, "a fired site changes the run");
    const again = runScenario(netChaos, resolveParams(netChaos, { ...small, seed: 5, buggify: true }));
    assert.equal(again.traceHash, on.traceHash);
  });

  it("is a CLI flag of every registered scenario", () => {
    const sim = buildProgram().commands.find((c) => c.name() === "sim");
    assert.ok(sim !== undefined, "no sim command");
    assert.deepEqual(
      sim.commands.map((c) => c.name()).filter((name) => name !== "help"),
      scenarios.map((s) => s.name),
      "every registered scenario is a sim subcommand",
    );
    for (const scenario of scenarios) {
      const command: Command | undefined = sim.commands.find((c) => c.name() === scenario.name);
      assert.ok(command !== undefined, `${scenario.name}: no sim subcommand`);
      assert.ok(
        command.options.some((o) => o.long === "--buggify"),
        `${scenario.name}: no --buggify`,
      );
      assert.match(command.helpInformation(), /--buggify/, scenario.name);
      command.parseOptions(["--buggify"]);
      assert.equal(command.opts().buggify, true, `${scenario.name}: --buggify not parsed`);
    }
  });

  it("is kept in --seeds sweeps", () => {
    const run = spawnSync(
      "./bin/selfman",
      ["sim", "net-chaos", "--nodes", "24", "--duration", "20", "--seeds", "4..5", "--buggify", "--json"],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    const reports = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      reports.map((r) => r.params.buggify),
      [true, true],
    );
    assert.deepEqual(reports[1].metrics.buggifySites, ["gossip.double-push"]);
  });
});
