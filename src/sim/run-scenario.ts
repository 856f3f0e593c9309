// Runs a scenario and wraps the outcome in the envelope every consumer reads (docs/metrics.md §1):
// {scenario, seed, params, metrics, ok, violations, wallMs, events, eventsPerSec, traceHash}, and
// rebuilds the exact command that replays the run. Wall time is measured only with a clock passed in
// (the CLI's): the simulator never reads the real clock.
import { DEFAULT_CRASH_DELIVERY, type Violation } from "./engine/simulator.js";
import {
  kebab,
  type Metrics,
  type OutputFile,
  type ParamValue,
  type Scenario,
  type ScenarioContext,
  type ScenarioParams,
} from "./scenario.js";

export interface ScenarioReport {
  readonly scenario: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly metrics: Metrics;
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  /** Wall-clock milliseconds of the run; null when no clock was passed in (not measured). */
  readonly wallMs: number | null;
  readonly events: number;
  readonly eventsPerSec: number | null;
  readonly traceHash: string;
}

/** The envelope, and the report files the scenario produced (which are not part of the envelope). */
export interface ScenarioRun extends ScenarioReport {
  readonly files: readonly OutputFile[];
}

/** Fills defaults and validates raw flag values (strings from the CLI, or typed values from tests). */
export function resolveParams(scenario: Scenario, raw: Readonly<Record<string, unknown>>): ScenarioParams {
  const params: Record<string, ParamValue> = {
    nodes: scenario.defaults.nodes,
    seed: 1,
    duration: scenario.defaults.duration,
    buggify: false,
    crashDelivery: DEFAULT_CRASH_DELIVERY,
  };
  for (const option of scenario.options) params[option.name] = option.default;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const option = scenario.options.find((o) => o.name === key);
    // Typed values from tests go through the flag's parser too, so they are validated the same way.
    if ((typeof value === "string" || typeof value === "number") && option?.parse)
      params[key] = option.parse(String(value));
    else if (typeof value === "string" && typeof params[key] === "number") params[key] = Number(value);
    else params[key] = value as ParamValue;
  }
  const { nodes, seed, duration, buggify, crashDelivery } = params;
  if (typeof nodes !== "number" || !Number.isInteger(nodes) || nodes < 1)
    throw new RangeError(`--nodes: expected an integer ≥ 1, got ${nodes}`);
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`--seed: expected an integer in [0, 2^53), got ${seed}`);
  if (typeof duration !== "number" || !(duration >= 0))
    throw new RangeError(`--duration: expected seconds ≥ 0, got ${duration}`);
  if (typeof buggify !== "boolean") throw new RangeError(`--buggify: a switch, got ${String(buggify)}`);
  if (typeof crashDelivery !== "number" || !(crashDelivery >= 0 && crashDelivery <= 1))
    throw new RangeError(`--crash-delivery: expected a probability in [0, 1], got ${String(crashDelivery)}`);
  return params as ScenarioParams;
}

/** Runs `scenario`; `wallClock` (milliseconds, e.g. the CLI's performance.now) times it. */
export function runScenario(
  scenario: Scenario,
  params: ScenarioParams,
  context?: ScenarioContext,
  wallClock?: () => number,
): ScenarioRun {
  const t0 = wallClock?.() ?? 0;
  const outcome = scenario.run(params, context ?? { progress: () => {} });
  const wallMs = wallClock === undefined ? null : Math.max(1, Math.round(wallClock() - t0));
  return {
    scenario: scenario.name,
    seed: params.seed,
    params: { ...params, ...outcome.constants },
    metrics: params.buggify
      ? { ...outcome.metrics, buggifySites: outcome.buggifySites ?? [] }
      : outcome.metrics,
    ok: outcome.violations.length === 0,
    violations: outcome.violations,
    wallMs,
    events: outcome.events,
    eventsPerSec: wallMs === null ? null : Math.round(outcome.events / (wallMs / 1000)),
    traceHash: outcome.traceHash,
    files: outcome.files ?? [],
  };
}

/** The command that replays this run exactly: every scenario flag, defaults included. */
export function replayCommand(scenario: Scenario, params: ScenarioParams): string {
  const parts = [
    "./bin/selfman",
    "sim",
    scenario.name,
    "--nodes",
    String(params.nodes),
    "--seed",
    String(params.seed),
    "--duration",
    String(params.duration),
    "--crash-delivery",
    String(params.crashDelivery),
  ];
  if (params.buggify) parts.push("--buggify");
  for (const option of scenario.options) {
    const value = params[option.name];
    if (option.arg === undefined) {
      if (value === true) parts.push(`--${kebab(option.name)}`);
    } else if (value !== null && value !== undefined && value !== "") {
      parts.push(`--${kebab(option.name)}`, String(value));
    }
  }
  return parts.join(" ");
}
