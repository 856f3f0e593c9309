// `selfman sim <scenario>`: one subcommand per registered scenario, with the common flags
// (--nodes --seed --duration --json) and the scenario's own. With --json exactly one JSON line goes to
// stdout; otherwise a progress bar on stderr and a summary table on stdout. A violated invariant exits 1
// and prints the replay command on stderr. `--seeds A..B` sweeps: one run per seed, one line each (a
// JSON line with --json), then which seeds failed, each with its replay command. The CLI owns what the
// simulator may not touch (docs/simulator.md §7): the wall clock that times a run, and the files a
// scenario's reports go to (its `--out` folder).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, Option } from "commander";
import { DEFAULT_CRASH_DELIVERY } from "../sim/engine/simulator.js";
import { parseCount, parseNumber, parseProbability, parseSeed } from "../sim/params.js";
import { summary } from "../sim/report.js";
import { MAX_RECORDED_NODES, RingRecorder } from "../sim/ring-recorder.js";
import { replayCommand, resolveParams, runScenario, type ScenarioRun } from "../sim/run-scenario.js";
import {
  kebab,
  type OutputFile,
  type Scenario,
  type ScenarioContext,
  type ScenarioParams,
} from "../sim/scenario.js";
import { scenarios } from "../sim/scenarios/index.js";
import { commanderParser } from "./flags.js";

export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function progressContext(enabled: boolean): { context: ScenarioContext; done(): void } {
  if (!enabled) return { context: { progress: () => {} }, done: () => {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: "  simulating [{bar}] {percentage}% | eta {eta_formatted}",
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(1000, 0);
  return {
    context: { progress: (fraction) => bar.update(Math.min(1000, Math.round(fraction * 1000))) },
    done: () => bar.stop(),
  };
}

function addScenarioCommand(sim: Command, scenario: Scenario): void {
  const command = sim
    .command(scenario.name)
    .description(scenario.summary)
    .option(
      "--nodes <n>",
      `number of nodes (default ${scenario.defaults.nodes})`,
      commanderParser(parseCount("nodes", 1)),
    )
    .option("--seed <s>", "seed deciding everything in the run (default 1)", commanderParser(parseSeed))
    .option(
      "--duration <sec>",
      `simulated seconds of the measure phase (default ${scenario.defaults.duration})`,
      commanderParser(parseNumber("duration", 0)),
    )
    .option("--buggify", "switch on the fault hooks (BUGGIFY sites chosen by the seed; default off)")
    .option(
      "--crash-delivery <p>",
      `probability that a crashed node's in-flight messages are still delivered, drawn per crash (default ${DEFAULT_CRASH_DELIVERY})`,
      commanderParser(parseProbability("crash-delivery")),
    )
    .option(
      "--seeds <A..B>",
      "sweep: run every seed from A to B, one line each",
      commanderParser(parseSeedRange),
    )
    .option("--json", "print exactly one JSON line on stdout (with --seeds: one per seed)")
    .option(
      "--record <file>",
      "write the run's ring, frame by frame, for the dashboard's replay (JSON lines; ring, join-storm and merge; a merge sweep records its first run)",
    )
    .option(
      "--record-interval-ms <ms>",
      `simulated milliseconds between recorded frames (default ${DEFAULT_RECORD_INTERVAL_MS})`,
      commanderParser(parseCount("record-interval-ms", 10, 60_000)),
    );
  for (const option of scenario.options) {
    const flags =
      option.arg === undefined ? `--${kebab(option.name)}` : `--${kebab(option.name)} <${option.arg}>`;
    // A default of null, "" or false means "not set" (the description says what then happens).
    const unset = option.default === null || option.default === "" || option.default === false;
    const entry = new Option(
      flags,
      unset ? option.describe : `${option.describe} (default ${String(option.default)})`,
    );
    if (option.parse !== undefined) entry.argParser(commanderParser(option.parse));
    command.addOption(entry);
  }
  command.action((opts: Record<string, unknown>) => {
    const { json, seeds, record, recordIntervalMs, ...raw } = opts;
    if (seeds !== undefined) {
      if (record !== undefined) throw new Error("--record records one run: not with --seeds");
      sweep(scenario, raw, seeds as SeedRange, json === true);
      return;
    }
    if (record !== undefined && scenario.records !== true)
      throw new Error(
        `--record: sim ${scenario.name} does not record its ring yet (sim ring, join-storm and merge do)`,
      );
    const params = resolveParams(scenario, raw);
    if (record !== undefined && Number(params.nodes) > MAX_RECORDED_NODES)
      throw new Error(`--record: at most ${MAX_RECORDED_NODES} nodes a frame, not ${params.nodes}`);
    const progress = progressContext(json !== true && process.stderr.isTTY === true);
    const recorder =
      record === undefined
        ? undefined
        : new RingRecorder((recordIntervalMs as number | undefined) ?? DEFAULT_RECORD_INTERVAL_MS);
    let run: ScenarioRun;
    try {
      run = runScenario(
        scenario,
        params,
        { ...progress.context, ...(recorder === undefined ? {} : { recorder }) },
        wallClock,
      );
    } finally {
      progress.done();
    }
    const { files, ...ran } = run;
    writeOutputs(params, files);
    const report =
      recorder === undefined
        ? ran
        : { ...ran, record: writeRecord(String(record), recorder, scenario, params) };
    process.stdout.write(json === true ? `${toJsonLine(report)}\n` : `${summary(report)}\n`);
    if ("record" in report && json !== true)
      process.stdout.write(
        `recorded ${report.record.frames} frames to ${report.record.file}: the last shows ${report.record.nodes} members, ` +
          `${report.record.perfect ? "a perfect ring" : "not a perfect ring"}, digest ${report.record.digest}\n`,
      );
    if (!report.ok) {
      process.stderr.write(`invariant violated; replay with:\n  ${replayCommand(scenario, params)}\n`);
      process.exitCode = 1;
    }
  });
}

const wallClock = () => performance.now();

const DEFAULT_RECORD_INTERVAL_MS = 250;

/** Writes a recorded run to `file`; says what its last frame showed (the page shows the same). */
function writeRecord(file: string, recorder: RingRecorder, scenario: Scenario, params: ScenarioParams) {
  const end = recorder.end();
  writeFileSync(file, recorder.text({ scenario: scenario.name, seed: params.seed, params }));
  return { file, ...end };
}

/** Writes a scenario's report files into its `--out` folder (created if missing). */
function writeOutputs(params: ScenarioParams, files: readonly OutputFile[]): void {
  const dir = params.out;
  if (files.length === 0 || typeof dir !== "string" || dir === "") return;
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file.name), file.text);
}

interface SeedRange {
  readonly from: number;
  readonly to: number;
}

function parseSeedRange(raw: string): SeedRange {
  const match = /^(\d+)\.\.(\d+)$/.exec(raw);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to)
    throw new RangeError(`--seeds: expected A..B with integers 0 ≤ A ≤ B, got ${JSON.stringify(raw)}`);
  return { from, to };
}

/** One run per seed; a line per run as it ends; the failed seeds and their replay commands at the end. */
function sweep(scenario: Scenario, raw: Record<string, unknown>, seeds: SeedRange, json: boolean): void {
  const failed: { seed: number; replay: string }[] = [];
  for (let seed = seeds.from; seed <= seeds.to; seed++) {
    const params = resolveParams(scenario, { ...raw, seed });
    const { files, ...report } = runScenario(scenario, params, undefined, wallClock);
    writeOutputs(params, files);
    if (!report.ok) failed.push({ seed, replay: replayCommand(scenario, params) });
    if (json) process.stdout.write(`${toJsonLine(report)}\n`);
    else {
      const problems = report.violations.map((v) => `${v.invariant}: ${v.message}`).join("; ");
      process.stdout.write(
        `seed ${seed}: ${report.ok ? "ok" : `VIOLATED (${problems})`} in ${report.wallMs} ms\n`,
      );
    }
  }
  const runs = seeds.to - seeds.from + 1;
  process.stderr.write(
    `${runs} seeds, ${failed.length} violated${failed.length > 0 ? "; replay with:" : ""}\n`,
  );
  for (const f of failed) process.stderr.write(`  ${f.replay}\n`);
  if (failed.length > 0) process.exitCode = 1;
}

export function addSimCommand(program: Command): void {
  const sim = program
    .command("sim")
    .description("run a deterministic simulation scenario (see `selfman sim help <scenario>`)");
  for (const scenario of scenarios) addScenarioCommand(sim, scenario);
}
