// What a simulator scenario is (docs/simulator.md §7): code in src/sim/scenarios/, shared by the CLI
// (`selfman sim <name>`), the tests and the benchmarks. A scenario declares its options once; the
// runner turns them into CLI flags, echoes every value actually used in `params`, and rebuilds the
// exact replay command from them (docs/simulator.md §6). Parameters are plain JSON values.
import type { SimConfig, Violation } from "./engine/simulator.js";
import type { RingRecorder } from "./ring-recorder.js";

export type ParamValue = number | string | boolean | null;
export type MetricRow = Readonly<Record<string, ParamValue>>;
/** What one figure may be: a scalar, counts by name, a table of rows, or a list of names. */
export type MetricValue =
  | ParamValue
  | Readonly<Record<string, number>>
  | readonly MetricRow[]
  | readonly string[];
/**
 * The envelope's metrics, as every consumer reads them (docs/metrics.md §1). Each scenario builds its
 * own typed record (a type per scenario, one object literal), which is assignable to this.
 */
export type Metrics = Readonly<Record<string, MetricValue>>;

/**
 * One scenario flag, e.g. `{ name: "loss", arg: "p", describe: "...", default: 0, parse: parseProbability }`.
 */
interface ScenarioOption {
  /** camelCase key in params; the flag is its kebab-case form. */
  readonly name: string;
  /** Placeholder shown in help; omitted for a boolean switch. */
  readonly arg?: string;
  readonly describe: string;
  readonly default: ParamValue;
  /** Validates and converts the raw flag text; throws with a clear message. */
  readonly parse?: (raw: string) => ParamValue;
}

export interface CommonParams {
  readonly nodes: number;
  readonly seed: number;
  /** Seconds of the measure phase (faults, workload). */
  readonly duration: number;
  /** Fault hooks on (docs/simulator.md §4); off by default, and then no trace changes. */
  readonly buggify: boolean;
  /**
   * Probability that a crashed incarnation's in-flight messages are still delivered, decided once per
   * crash (SimConfig.crashDelivery, docs/simulator.md §3).
   */
  readonly crashDelivery: number;
}

export type ScenarioParams = CommonParams & Readonly<Record<string, ParamValue>>;

/** What a run produced, before the runner wraps it in the JSON envelope. */
export interface ScenarioOutcome {
  readonly metrics: Metrics;
  readonly violations: readonly Violation[];
  readonly events: number;
  readonly traceHash: string;
  /** Protocol constants and network settings the run used, merged into the echoed params. */
  readonly constants?: Readonly<Record<string, ParamValue>>;
  /** With --buggify: the fault sites that fired in any of the run's simulators (docs/simulator.md §4). */
  readonly buggifySites?: readonly string[];
  /**
   * Reports the run produced (an SVG, a table), for the CLI to write into the scenario's `--out`
   * folder: the simulator itself never touches the file system (docs/simulator.md §7).
   */
  readonly files?: readonly OutputFile[];
}

/** One report file: its name inside the output folder, and its text. */
export interface OutputFile {
  readonly name: string;
  readonly text: string;
}

export interface ScenarioContext {
  /** Progress as a fraction of simulated time; cheap to call often. */
  progress(fraction: number): void;
  /**
   * Where a scenario that can record puts its run's frames (`--record`, docs/dashboard.md §7); a sweep
   * of several runs records the first.
   */
  readonly recorder?: RingRecorder;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly defaults: { readonly nodes: number; readonly duration: number };
  readonly options: readonly ScenarioOption[];
  /** Whether it records its ring for the dashboard's replay when given a recorder (`--record`). */
  readonly records?: boolean;
  run(params: ScenarioParams, context: ScenarioContext): ScenarioOutcome;
}

/** The part of every simulator's config that the common flags decide: seed, BUGGIFY, crash delivery. */
export function simBase(params: CommonParams): Pick<SimConfig, "seed" | "buggify" | "crashDelivery"> {
  return { seed: params.seed, buggify: { enabled: params.buggify }, crashDelivery: params.crashDelivery };
}

/** The fired fault sites of several simulators, merged and sorted. */
export function firedSites(sims: readonly { firedBuggifySites(): string[] }[]): string[] {
  return [...new Set(sims.flatMap((sim) => sim.firedBuggifySites()))].sort();
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
