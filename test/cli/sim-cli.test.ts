// The `selfman sim` and `selfman bench` contracts (docs/metrics.md §1), run as real processes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

function selfman(...args: string[]) {
  const run = spawnSync("./bin/selfman", args, { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The replay command a failing run prints on stderr. */
function replayCommand(stderr: string): string {
  const replay = /replay with:\n\s+(\.\/bin\/selfman .*)\n/.exec(stderr)?.[1];
  assert.ok(replay, stderr);
  return replay;
}

/** Running `replay` again fails the same way: the same trace, event for event. */
function assertReplays(replay: string, traceHash: string): void {
  const [, ...args] = replay.split(" ");
  const again = selfman(...args, "--json");
  assert.equal(again.code, 1);
  assert.equal(JSON.parse(again.stdout).traceHash, traceHash);
}

describe("selfman sim", () => {
  it("--json prints exactly one line: the envelope", () => {
    const run = selfman("sim", "net-chaos", "--nodes", "16", "--duration", "10", "--seed", "5", "--json");
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0] as string);
    for (const key of [
      "scenario",
      "seed",
      "params",
      "metrics",
      "ok",
      "violations",
      "wallMs",
      "events",
      "eventsPerSec",
      "traceHash",
    ]) {
      assert.ok(key in report, `missing ${key}`);
    }
    assert.equal(report.scenario, "net-chaos");
    assert.equal(report.seed, 5);
    assert.equal(report.params.nodes, 16);
    assert.equal(report.params.loss, 0.02, "defaults are echoed");
    assert.match(report.traceHash, /^[0-9a-f]{16}$/);
  });

  it("--seeds A..B sweeps: one JSON line per seed, each seed its own run; a bad range is refused", () => {
    const run = selfman("sim", "net-chaos", "--nodes", "8", "--duration", "5", "--seeds", "3..5", "--json");
    assert.equal(run.code, 0, run.stderr);
    const reports = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      reports.map((r) => r.seed),
      [3, 4, 5],
    );
    assert.equal(new Set(reports.map((r) => r.traceHash)).size, 3, "different seeds, different runs");
    assert.match(run.stderr, /3 seeds, 0 violated/);
    const bad = selfman("sim", "net-chaos", "--seeds", "5..3");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--seeds: expected A\.\.B/);
  });

  it("without --json prints a summary table", () => {
    const run = selfman("sim", "net-chaos", "--nodes", "8", "--duration", "5");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /all invariants held/);
    assert.match(run.stdout, /trace hash/);
  });

  it("a violated invariant exits 1 and prints a replay command that reproduces the run", () => {
    const run = selfman(
      "sim",
      "net-chaos",
      "--nodes",
      "12",
      "--duration",
      "20",
      "--seed",
      "3",
      "--planted-bug",
      "--json",
    );
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, false);
    assert.ok(report.violations.length > 0);
    assertReplays(replayCommand(run.stderr), report.traceHash);
  });

  it("a merge run that fails replays from its printed command (empty and unset options left out)", () => {
    const run = selfman(
      "sim",
      "merge",
      "--nodes",
      "40",
      "--duration",
      "20",
      "--loopy",
      "--loop-check-sec",
      "0",
      "--json",
    );
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(
      report.violations.map((v: { invariant: string }) => v.invariant),
      ["merge"],
    );
    const replay = replayCommand(run.stderr);
    assert.doesNotMatch(replay, /--sizes|--split|--out/);
    assertReplays(replay, report.traceHash);
  });

  it("writes a scenario's report files into --out (the simulator itself writes none)", () => {
    const dir = mkdtempSync(join(tmpdir(), "selfman-sim-out-"));
    try {
      const args = ["sim", "merge", "--sizes", "16,24", "--split", "separate", "--duration", "30"];
      const run = selfman(...args, "--out", dir, "--json");
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout);
      assert.equal("files" in report, false, "the files are not part of the envelope");
      assert.equal(typeof report.wallMs, "number", "the CLI times the run");
      const table = readFileSync(join(dir, "merge-rounds.md"), "utf8");
      assert.equal(table.trim().split("\n").length, 2 + report.metrics.rows.length);
      assert.ok(readFileSync(join(dir, "merge-rounds.svg"), "utf8").startsWith("<svg"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--record writes the run for the dashboard, says what its last frame shows, and is refused where it cannot record", () => {
    const dir = mkdtempSync(join(tmpdir(), "selfman-sim-record-"));
    try {
      const file = join(dir, "run.jsonl");
      const run = selfman("sim", "join-storm", "--nodes", "40", "--record", file, "--json");
      assert.equal(run.code, 0, run.stderr);
      const { record } = JSON.parse(run.stdout);
      assert.equal(record.file, file);
      assert.equal(record.nodes, 40);
      assert.equal(record.perfect, true);
      const lines = readFileSync(file, "utf8").trim().split("\n");
      assert.equal(JSON.parse(lines[0] ?? "").format, "selfman-ring-record");
      assert.deepEqual(JSON.parse(lines.at(-1) ?? "").end, {
        frames: record.frames,
        nodes: 40,
        perfect: true,
        digest: record.digest,
      });
      const kv = selfman("sim", "kv", "--nodes", "8", "--record", join(dir, "kv.jsonl"));
      assert.equal(kv.code, 2);
      assert.match(kv.stderr, /sim kv does not record its ring yet/);
      const huge = selfman("sim", "merge", "--nodes", "30000", "--record", join(dir, "huge.jsonl"));
      assert.equal(huge.code, 2);
      assert.match(huge.stderr, /at most 20000 nodes a frame/);
      const sweep = selfman("sim", "merge", "--seeds", "1..2", "--record", join(dir, "sweep.jsonl"));
      assert.equal(sweep.code, 2);
      assert.match(sweep.stderr, /not with --seeds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects bad flags with a clear message", () => {
    for (const [flag, value] of [
      ["--loss", "2"],
      ["--nodes", "0"],
      ["--seed", "-1"],
      ["--latency", "warp:9"],
    ] as const) {
      const run = selfman("sim", "net-chaos", flag, value);
      assert.notEqual(run.code, 0, `${flag} ${value}`);
      assert.match(run.stderr, new RegExp(flag.slice(2) === "latency" ? "latency kind" : flag), run.stderr);
    }
    assert.notEqual(selfman("sim", "no-such-scenario").code, 0);
  });
});

describe("selfman bench sim-core", () => {
  it("prints {bench, params, metrics, baseline, ratio, eventsPerSec} as one JSON line", () => {
    const run = selfman("bench", "sim-core", "--nodes", "100", "--events", "20000", "--json");
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.bench, "sim-core");
    assert.ok(result.eventsPerSec > 0 && result.metrics.events >= 20000);
    assert.ok(result.baseline.eventsPerSec > 0 && result.ratio > 0);
  });
});
