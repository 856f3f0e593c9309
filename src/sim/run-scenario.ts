// Runs a scenario and wraps the outcome in the envelope every consumer reads (METRICS.md §1):
// {scenario, seed, params, metrics, ok, violations, wallMs, events, eventsPerSec, traceHash}, and
// rebuilds the exact command that replays the run.
import type { Violation } from "./engine/simulator.js";
import {
  kebab,
  type Metrics,
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
  readonly wallMs: number;
  readonly events: number;
  readonly eventsPerSec: number;
  readonly traceHash: string;
}

/** Fills defaults and validates raw flag values (strings from the CLI, or typed values from tests). */
export function resolveParams(scenario: Scenario, raw: Readonly<Record<string, unknown>>): ScenarioParams {
  const params: Record<string, ParamValue> = {
    nodes: scenario.defaults.nodes,
    seed: 1,
    duration: scenario.defaults.duration,
    buggify: false,
  };
  for (const option of scenario.options) params[option.name] = option.default;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const option = scenario.options.find((o) => o.name === key);
    if (typeof value === "string" && option?.parse) params[key] = option.parse(value);
    else if (typeof value === "string" && typeof params[key] === "number") params[key] = Number(value);
    else params[key] = value as ParamValue;
  }
  const { nodes, seed, duration, buggify } = params;
  if (typeof nodes !== "number" || !Number.isInteger(nodes) || nodes < 1)
    throw new RangeError(`--nodes: expected an integer ≥ 1, got ${nodes}`);
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`--seed: expected an integer in [0, 2^53), got ${seed}`);
  if (typeof duration !== "number" || !(duration >= 0))
    throw new RangeError(`--duration: expected seconds ≥ 0, got ${duration}`);
  if (typeof buggify !== "boolean") throw new RangeError(`--buggify: a switch, got ${String(buggify)}`);
  return params as ScenarioParams;
}

export function runScenario(
  scenario: Scenario,
  params: ScenarioParams,
  context?: ScenarioContext,
): ScenarioReport {
  const t0 = performance.now();
  const outcome = scenario.run(params, context ?? { progress: () => {} });
  const wallMs = Math.max(1, Math.round(performance.now() - t0));
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
    eventsPerSec: Math.round(outcome.events / (wallMs / 1000)),
    traceHash: outcome.traceHash,
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
