// `selfman sim ppl08`: the relaxed-ring paper's experiments (PPL 2008; benchmarks B1–B4 of
// docs/metrics.md §7.1, figures in docs/relaxed-ring.md §8) on this simulator: branches and branch size
// vs N at connectivity 0.9/0.95/1.0 (B1, B2), ring maintenance messages vs N (B3), and Chord's
// inconsistent lookups vs how many joins happen per stabilisation, next to the relaxed ring's under the
// same churn (B4). Prints a table; --out DIR also writes SVG plots.
import type { MessageBase, TimerTagBase } from "../../core/message.js";
import { chordRing } from "../chord-protocol.js";
import type { Simulator, Violation } from "../engine/simulator.js";
import { TraceHash } from "../engine/trace-hash.js";
import { type RingRunConfig, runRing } from "../ring-harness.js";
import { relaxedRing } from "../ring-protocol.js";
import {
  type OutputFile,
  type Scenario,
  type ScenarioContext,
  type ScenarioOutcome,
  type ScenarioParams,
  simBase,
} from "../scenario.js";
import { lineChart } from "../svg-chart.js";

/** The runs of one ppl08 invocation: their events add up, their trace hashes chain. */
class RunLog {
  events = 0;
  readonly violations: Violation[] = [];
  private readonly hash = new TraceHash();
  private readonly fired = new Set<string>();

  add(run: { sim: Simulator<MessageBase, TimerTagBase> }): void {
    this.events += run.sim.stats.events;
    this.hash.mixString(run.sim.trace.hex());
    this.violations.push(...run.sim.violations);
    for (const site of run.sim.firedBuggifySites()) this.fired.add(site);
  }

  get buggifySites(): string[] {
    return [...this.fired].sort();
  }

  get traceHash(): string {
    return this.hash.hex();
  }
}

const CONNECTIVITIES = [0.9, 0.95, 1] as const;
const JOINS_PER_STABILIZE = [4, 5, 6, 7, 8] as const;
const JOIN_GAP_MS = 100;

/** One ring built at one size and connectivity (B1–B3). */
type BranchRow = {
  readonly nodes: number;
  readonly connectivity: number;
  readonly branches: number;
  readonly branchesPerNode: number;
  readonly branchSizeMean: number | null;
  readonly branchSizeOverAllNodes: number;
  readonly ringMessages: number;
  readonly hintMessages: number;
};

/** Chord at one stabilisation rate, next to the relaxed ring under the same churn (B4). */
type ChordRow = {
  readonly joinsPerStabilize: number;
  readonly chordInconsistentLookups: number;
  readonly chordLookups: number;
  readonly chordRingMessages: number;
  readonly relaxedInconsistentLookups: number;
  readonly relaxedRingMessages: number;
};

/** What `sim ppl08` prints (docs/relaxed-ring.md §8). */
type Ppl08Metrics = {
  readonly branchesVsN: readonly BranchRow[];
  readonly chordVsStabilization: readonly ChordRow[];
};

function sizesFor(maxNodes: number): number[] {
  return [...new Set([Math.round(maxNodes / 4), Math.round(maxNodes / 2), maxNodes].filter((n) => n >= 4))];
}

function buildOnly(nodes: number, connectivity: number): RingRunConfig {
  return {
    nodes,
    buildJoinGapMs: JOIN_GAP_MS,
    settleMs: 30_000,
    measureMs: 0,
    quietMs: 0,
    churn: { joins: 0, crashes: 0, leaves: 0 },
    lookupsPerSec: 0,
    connectivity,
  };
}

function churnRun(nodes: number, durationSec: number): RingRunConfig {
  return {
    nodes,
    buildJoinGapMs: JOIN_GAP_MS,
    settleMs: 30_000,
    measureMs: durationSec * 1000,
    quietMs: 10_000,
    churn: { joins: 1000 / JOIN_GAP_MS, crashes: 0, leaves: 0 },
    lookupsPerSec: 10,
    connectivity: 1,
  };
}

function branchRows(params: ScenarioParams, log: RunLog, tick: () => void): BranchRow[] {
  const rows: BranchRow[] = [];
  for (const nodes of sizesFor(params.nodes)) {
    for (const c of CONNECTIVITIES) {
      const run = runRing(relaxedRing(), simBase(params), buildOnly(nodes, c));
      log.add(run);
      const m = run.metrics();
      const branchNodes = m.branches * (m.branchSizeMean ?? 0);
      rows.push({
        nodes,
        connectivity: c,
        branches: m.branches,
        branchesPerNode: Number((m.branches / nodes).toFixed(4)),
        branchSizeMean: m.branchSizeMean,
        branchSizeOverAllNodes: Number((branchNodes / nodes).toFixed(4)),
        ringMessages: m.ringMessages,
        hintMessages: m.messagesByType.hint ?? 0,
      });
      tick();
    }
  }
  return rows;
}

function chordRows(params: ScenarioParams, log: RunLog, tick: () => void): ChordRow[] {
  const rows: ChordRow[] = [];
  const nodes = params.nodes;
  const relaxedRun = runRing(relaxedRing(), simBase(params), churnRun(nodes, params.duration));
  log.add(relaxedRun);
  const relaxed = relaxedRun.metrics();
  tick();
  for (const s of JOINS_PER_STABILIZE) {
    const chord = chordRing({ stabilizeMs: s * JOIN_GAP_MS });
    const chordRun = runRing(chord, simBase(params), churnRun(nodes, params.duration));
    log.add(chordRun);
    const m = chordRun.metrics();
    rows.push({
      joinsPerStabilize: s,
      chordInconsistentLookups: m.inconsistentLookups,
      chordLookups: m.lookups,
      chordRingMessages: m.ringMessages,
      relaxedInconsistentLookups: relaxed.inconsistentLookups,
      relaxedRingMessages: relaxed.ringMessages,
    });
    tick();
  }
  return rows;
}

/** The B1–B4 plots, as files for the CLI to write into `--out`. */
function plots(branches: readonly BranchRow[], chord: readonly ChordRow[]): OutputFile[] {
  const byC = (field: "branches" | "branchSizeMean" | "ringMessages") =>
    CONNECTIVITIES.map((c) => ({
      name: `c = ${c}`,
      points: branches.filter((r) => r.connectivity === c).map((r) => [r.nodes, r[field] ?? 0] as const),
    }));
  const charts: [string, string, string, ReturnType<typeof byC>][] = [
    ["b1-branches.svg", "B1 branches vs N", "branches", byC("branches")],
    ["b2-branch-size.svg", "B2 mean branch size vs N", "nodes per branch", byC("branchSizeMean")],
    [
      "b3-ring-messages.svg",
      "B3 ring maintenance messages vs N",
      "messages (FD excluded)",
      byC("ringMessages"),
    ],
  ];
  const files: OutputFile[] = charts.map(([name, title, yLabel, series]) => ({
    name,
    text: lineChart({ title, xLabel: "nodes N", yLabel, series }),
  }));
  files.push({
    name: "b4-chord-inconsistency.svg",
    text: lineChart({
      title: "B4 inconsistent lookups vs joins per stabilisation",
      xLabel: "joins per Chord stabilisation",
      yLabel: "inconsistent lookups",
      series: [
        {
          name: "Chord",
          points: chord.map((r) => [r.joinsPerStabilize, r.chordInconsistentLookups] as const),
        },
        {
          name: "relaxed ring",
          points: chord.map((r) => [r.joinsPerStabilize, r.relaxedInconsistentLookups] as const),
        },
      ],
    }),
  });
  return files;
}

function runPpl08(params: ScenarioParams, context: ScenarioContext): ScenarioOutcome {
  const total = sizesFor(params.nodes).length * CONNECTIVITIES.length + JOINS_PER_STABILIZE.length + 1;
  let done = 0;
  const tick = () => context.progress(++done / total);
  const log = new RunLog();
  const branches = branchRows(params, log, tick);
  const chord = chordRows(params, log, tick);
  const files = typeof params.out === "string" && params.out !== "" ? plots(branches, chord) : [];
  const metrics: Ppl08Metrics = { branchesVsN: branches, chordVsStabilization: chord };
  return {
    metrics,
    violations: log.violations,
    events: log.events,
    traceHash: log.traceHash,
    buggifySites: log.buggifySites,
    files,
    constants: {
      joinGapMs: JOIN_GAP_MS,
      connectivities: CONNECTIVITIES.join(","),
      joinsPerStabilize: JOINS_PER_STABILIZE.join(","),
    },
  };
}

export const ppl08: Scenario = {
  name: "ppl08",
  summary: "the relaxed-ring paper's experiments: branches vs connectivity, maintenance, Chord inconsistency",
  defaults: { nodes: 2000, duration: 60 },
  options: [
    {
      name: "out",
      arg: "dir",
      describe: "write SVG plots to this folder",
      default: null,
      parse: (raw) => raw,
    },
  ],
  run: runPpl08,
};
