// Human-readable output of a scenario run: a summary table for the terminal (the JSON envelope is
// for machines). Plain text, aligned, no colours, so it reads the same in a log file.
import type { ScenarioReport } from "./run-scenario.js";
import type { MetricRow, MetricValue } from "./scenario.js";

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number")
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(3);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function table(rows: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${formatValue(v)}`).join("\n");
}

/** Rows of records as an aligned grid, one column per field. */
export function grid(rows: readonly Readonly<Record<string, unknown>>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => formatValue(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: readonly string[]) =>
    `  ${values.map((v, i) => v.padStart(widths[i] ?? 0)).join("  ")}`;
  return [line(columns), ...cells.map(line)].join("\n");
}

export function summary(report: ScenarioReport): string {
  const head = `${report.scenario} · seed ${report.seed} · ${report.ok ? "all invariants held" : "INVARIANT VIOLATED"}`;
  const entries = Object.entries(report.metrics);
  const isGrid = (v: MetricValue): v is readonly MetricRow[] =>
    Array.isArray(v) && v.length > 0 && v.every((row) => typeof row === "object" && row !== null);
  const scalars = entries
    .filter(([, v]) => !isGrid(v))
    .map(([k, v]): [string, unknown] => [k, Array.isArray(v) ? v.join(", ") || "–" : v]);
  const grids = entries.flatMap(([k, v]): [string, readonly MetricRow[]][] => (isGrid(v) ? [[k, v]] : []));
  const metrics = [table(scalars), ...grids.map(([name, rows]) => `\n${name}\n${grid(rows)}`)].join("\n");
  const run = table([
    ["events", report.events],
    ["events/s", report.eventsPerSec],
    ["wall ms", report.wallMs],
    ["trace hash", report.traceHash],
  ]);
  const violations = report.violations.map(
    (v) => `  ✗ ${v.invariant} at ${(v.atMs / 1000).toFixed(3)} s: ${v.message}`,
  );
  return [
    head,
    "",
    "metrics",
    metrics,
    "",
    "run",
    run,
    ...(violations.length ? ["", "violations", ...violations] : []),
  ].join("\n");
}
