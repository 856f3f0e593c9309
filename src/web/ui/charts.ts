// Charts over time (docs/dashboard.md §4), drawn with uPlot: messages and lookups per second, the
// suspicions, hand-overs and repairs of each interval, and items stored — for the whole cluster or one
// node, from the differences between successive surveys. Keeps the last MAX_POINTS surveys.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./dom.js";
import type { RingSurvey, SurveyedNode } from "./ring-survey-types.js";

const MAX_POINTS = 300;

interface Sample {
  readonly atSec: number;
  readonly byNode: ReadonlyMap<string, SurveyedNode>;
}

/** One chart's series: a name and how to read it from two samples of a node (per second or per interval). */
interface SeriesSpec {
  readonly label: string;
  readonly stroke: string;
  readonly value: (now: SurveyedNode, before: SurveyedNode | undefined, dtSec: number) => number | null;
  /** How the whole cluster's value comes from the nodes' (default: their sum). */
  readonly combine?: "sum" | "max" | "median";
}

function combined(values: readonly number[], how: SeriesSpec["combine"]): number | null {
  if (values.length === 0) return null;
  if (how === "max") return Math.max(...values);
  if (how === "median") return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? null;
  return values.reduce((a, b) => a + b, 0);
}

const perSecond =
  (read: (n: SurveyedNode) => number) => (now: SurveyedNode, before: SurveyedNode | undefined, dt: number) =>
    before === undefined || dt <= 0 ? 0 : Math.max(0, read(now) - read(before)) / dt;
const perInterval =
  (read: (n: SurveyedNode) => number) => (now: SurveyedNode, before: SurveyedNode | undefined) =>
    before === undefined ? 0 : Math.max(0, read(now) - read(before));
const counter = (n: SurveyedNode, name: string) => n.store[name] ?? 0;

const CHARTS: readonly { readonly title: string; readonly series: readonly SeriesSpec[] }[] = [
  {
    title: "traffic",
    series: [
      { label: "messages/s", stroke: "#2563eb", value: perSecond((n) => n.transport.framesOut) },
      { label: "lookups/s", stroke: "#059669", value: perSecond((n) => n.lookupsAnswered) },
    ],
  },
  {
    title: "operations",
    series: [
      { label: "completed/s", stroke: "#0f766e", value: perSecond((n) => n.operations.completed) },
      { label: "failed/s", stroke: "#dc2626", value: perSecond((n) => n.operations.failed) },
    ],
  },
  {
    title: "latency (ms)",
    series: [
      {
        label: "p50 (median node)",
        stroke: "#2563eb",
        value: (n) => n.operations.latencyP50Ms,
        combine: "median",
      },
      {
        label: "p99 (slowest node)",
        stroke: "#b54708",
        value: (n) => n.operations.latencyP99Ms,
        combine: "max",
      },
    ],
  },
  {
    title: "self-management",
    series: [
      { label: "suspicions", stroke: "#dc2626", value: perInterval((n) => n.failureDetector.suspicions) },
      { label: "hand-overs", stroke: "#9333ea", value: perInterval((n) => counter(n, "handoversSent")) },
      { label: "repairs", stroke: "#d97706", value: perInterval((n) => counter(n, "repairsStarted")) },
    ],
  },
  {
    title: "storage",
    series: [
      { label: "items", stroke: "#0f766e", value: (n) => n.store.items },
      { label: "operations in flight", stroke: "#64748b", value: (n) => n.store.operationsInFlight },
    ],
  },
];

export class Charts {
  readonly element: HTMLElement;
  readonly #samples: Sample[] = [];
  readonly #plots: uPlot[] = [];
  readonly #boxes: HTMLElement[];
  readonly #scope = html(
    "select",
    { "aria-label": "chart scope" },
    html("option", { value: "" }, "whole cluster"),
  );

  constructor() {
    const boxes = CHARTS.map((chart) => html("div", { class: "chart", "data-chart": chart.title }));
    this.#boxes = boxes;
    this.element = html("section", { class: "charts" }, html("h2", {}, "over time ", this.#scope), ...boxes);
    this.#scope.addEventListener("change", () => this.#redraw());
    CHARTS.forEach((chart, i) => {
      const box = boxes[i] as HTMLElement;
      const opts: uPlot.Options = {
        title: chart.title,
        width: 420,
        height: 160,
        series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5 }))],
        axes: [{}, { size: 50 }],
      };
      this.#plots.push(new uPlot(opts, [[], ...chart.series.map(() => [])], box));
    });
  }

  /** Resizes every chart to `width` pixels (the page calls it when its layout changes). */
  resize(width: number): void {
    for (const plot of this.#plots) plot.setSize({ width, height: 160 });
  }

  add(survey: RingSurvey, atMs: number): void {
    this.#samples.push({ atSec: atMs / 1000, byNode: new Map(survey.nodes.map((n) => [n.name, n])) });
    this.#samples.splice(0, Math.max(0, this.#samples.length - MAX_POINTS));
    const names = new Set([...this.#scope.options].map((o) => o.value));
    for (const node of survey.nodes)
      if (!names.has(node.name)) this.#scope.append(html("option", { value: node.name }, node.name));
    this.#redraw();
  }

  /** The series the charts show now, as uPlot's columns (for tests and the page's own checks). */
  columns(): (number | null)[][][] {
    const scope = this.#scope.value;
    return CHARTS.map((chart) => {
      const xs: number[] = [];
      const ys = chart.series.map(() => [] as (number | null)[]);
      for (let i = 1; i < this.#samples.length; i++) {
        const now = this.#samples[i] as Sample;
        const before = this.#samples[i - 1] as Sample;
        const dt = now.atSec - before.atSec;
        xs.push(now.atSec);
        chart.series.forEach((spec, k) => {
          const values: number[] = [];
          for (const [name, node] of now.byNode) {
            if (scope !== "" && scope !== name) continue;
            const v = spec.value(node, before.byNode.get(name), dt);
            if (v !== null) values.push(v);
          }
          (ys[k] as (number | null)[]).push(combined(values, spec.combine));
        });
      }
      return [xs, ...ys];
    });
  }

  /** Draws the columns, and says on each chart's box how many points and non-zero series it has. */
  #redraw(): void {
    for (const [i, data] of this.columns().entries()) {
      this.#plots[i]?.setData(data as uPlot.AlignedData);
      const box = this.#boxes[i];
      if (box === undefined) continue;
      box.dataset.points = String(data[0]?.length ?? 0);
      box.dataset.nonZeroSeries = String(
        data.slice(1).filter((ys) => ys.some((y) => y !== 0 && y !== null)).length,
      );
    }
  }
}
