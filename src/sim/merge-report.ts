// The report of a `sim merge` sweep (docs/metrics.md §5; the figures: docs/ring-merge.md §8.1): mergeRounds
// against N for each ring unification (docs/ring-merge.md §3 simple, §4 gossip), as a Markdown table and an
// SVG line chart with log2 N on the x axis, where a logarithmic merge is a straight line and the gossip bound
// 4·log2 N is drawn for reference.
import type { OutputFile, ParamValue } from "./scenario.js";
import { lineChart, type Series } from "./svg-chart.js";

/** One run of the sweep. */
export interface MergeSizeRow {
  readonly [field: string]: ParamValue;
  readonly nodes: number;
  readonly algorithm: string;
  readonly perfect: boolean;
  readonly mergeRounds: number | null;
  readonly mergeTimeSec: number | null;
  /** Every protocol message from the heal to the first perfect ring (null when it never formed). */
  readonly messages: number | null;
  /** The merge protocol's own among them. */
  readonly mergeMessages: number;
  readonly lookupFailuresAfter: number;
}

export const MERGE_TABLE_FILE = "merge-rounds.md";
export const MERGE_CHART_FILE = "merge-rounds.svg";

const COLUMNS: readonly (keyof MergeSizeRow)[] = [
  "nodes",
  "algorithm",
  "perfect",
  "mergeRounds",
  "mergeTimeSec",
  "messages",
  "mergeMessages",
  "lookupFailuresAfter",
];

function mergeTable(rows: readonly MergeSizeRow[]): string {
  const lines = [
    `| ${COLUMNS.join(" | ")} | 4·log2 N |`,
    `|${COLUMNS.map(() => "---").join("|")}|---|`,
    ...rows.map(
      (r) =>
        `| ${COLUMNS.map((c) => String(r[c] ?? "—")).join(" | ")} | ${(4 * Math.log2(r.nodes)).toFixed(1)} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

function mergeChart(rows: readonly MergeSizeRow[]): string {
  const algorithms = [...new Set(rows.map((r) => r.algorithm))];
  const sizes = [...new Set(rows.map((r) => r.nodes))].sort((a, b) => a - b);
  const series: Series[] = algorithms.map((algorithm) => ({
    name: algorithm,
    points: rows
      .filter((r) => r.algorithm === algorithm && r.mergeRounds !== null)
      .map((r) => [r.nodes, r.mergeRounds ?? 0] as const),
  }));
  series.push({ name: "4·log2 N", points: sizes.map((n) => [n, 4 * Math.log2(n)] as const) });
  return lineChart({
    title: "Ring merge: rounds (γ) to one perfect ring vs N",
    xLabel: "nodes N (log scale)",
    yLabel: "mergeRounds",
    series,
    logX: true,
  });
}

/** The table and the chart, as files for the CLI to write into `--out`. */
export function mergeReportFiles(rows: readonly MergeSizeRow[]): OutputFile[] {
  return [
    { name: MERGE_TABLE_FILE, text: mergeTable(rows) },
    { name: MERGE_CHART_FILE, text: mergeChart(rows) },
  ];
}
