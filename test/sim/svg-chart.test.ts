// The SVG line-chart writer: well-formed, escaped, deterministic output with nice ticks, every
// coordinate inside the viewBox (property-tested over random series), and no throw on bad data.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type ChartSpec, lineChart, type Series } from "../../src/sim/svg-chart.js";

/** Asserts every tag is closed in order and returns the element names seen, in document order. */
function checkTags(svg: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name = "", , selfClosing] = m;
    if (closing === "/") assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else {
      seen.push(name);
      if (selfClosing !== "/") stack.push(name);
    }
  }
  assert.deepEqual(stack, [], "unclosed tags");
  // Every "<" must have started one of the tags matched above, every "&" an entity.
  assert.equal((svg.match(/</g) ?? []).length, (svg.match(/<\/?[a-zA-Z][^<>]*>/g) ?? []).length);
  assert.doesNotMatch(svg, /&(?!(?:amp|lt|gt|quot|apos);)/);
  return seen;
}

function viewBox(svg: string): [number, number] {
  const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  assert.ok(m, "no viewBox");
  return [Number(m[1]), Number(m[2])];
}

/** Every x/y-like number in the document (positions, line ends, circle centres, polyline points). */
function coordinates(svg: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of svg.matchAll(/<[a-z]+\s[^>]*>/g)) {
    const tag = m[0];
    const attr = (name: string): number | undefined => {
      const a = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
      return a?.[1] === undefined ? undefined : Number(a[1]);
    };
    for (const [xa, ya] of [
      ["x", "y"],
      ["x1", "y1"],
      ["x2", "y2"],
      ["cx", "cy"],
    ] as const) {
      const x = attr(xa);
      const y = attr(ya);
      if (x !== undefined || y !== undefined) out.push([x ?? 0, y ?? 0]);
    }
    const points = /\spoints="([^"]*)"/.exec(tag)?.[1];
    if (points !== undefined) {
      for (const pair of points.split(" ")) {
        const [x, y] = pair.split(",").map(Number);
        out.push([x ?? Number.NaN, y ?? Number.NaN]);
      }
    }
    const rotate = /rotate\(-90 ([-\d.]+) ([-\d.]+)\)/.exec(tag);
    if (rotate) out.push([Number(rotate[1]), Number(rotate[2])]);
  }
  return out;
}

function count(svg: string, re: RegExp): number {
  return (svg.match(re) ?? []).length;
}

function tickLabels(svg: string, axis: "x" | "y"): string[] {
  const group = new RegExp(`<g class="${axis}-ticks"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? "";
  return [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? "");
}

const base: ChartSpec = {
  title: "Branches vs N",
  xLabel: "nodes N",
  yLabel: "branches",
  series: [
    {
      name: "connectivity 0.9",
      points: [
        [16, 3],
        [32, 5],
        [64, 9],
      ],
    },
    {
      name: "connectivity 0.95",
      points: [
        [16, 1],
        [32, 2],
        [64, 4],
      ],
    },
    { name: "connectivity 1.0", points: [[16, 0]] },
  ],
};

describe("lineChart", () => {
  it("emits a standalone, balanced SVG document", () => {
    const svg = lineChart(base);
    assert.ok(svg.startsWith("<svg "));
    assert.ok(svg.endsWith("</svg>"));
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const tags = checkTags(svg);
    assert.equal(tags.filter((t) => t === "svg").length, 1);
  });

  it("shows the title, axis labels and every series name in the legend", () => {
    const svg = lineChart(base);
    assert.match(svg, /<text class="title"[^>]*>Branches vs N<\/text>/);
    assert.match(svg, /<text class="x-label"[^>]*>nodes N<\/text>/);
    assert.match(svg, /<text class="y-label"[^>]*>branches<\/text>/);
    const legend = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? "";
    for (const s of base.series) assert.ok(legend.includes(`>${s.name}</text>`), s.name);
  });

  it("draws one polyline per non-empty series, with one marker per point, in distinct colours", () => {
    const svg = lineChart(base);
    assert.equal(count(svg, /<polyline /g), 3);
    assert.equal(count(svg, /<g class="series"/g), 3);
    const markers = /<g class="series"[\s\S]*$/.exec(svg)?.[0].split('<g class="legend">')[0] ?? "";
    assert.equal(count(markers, /<circle /g), 3 + 3 + 1);
    const colours = [...svg.matchAll(/<g class="series" fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    assert.equal(new Set(colours).size, 3);

    const withEmpty = lineChart({
      ...base,
      series: [...base.series, { name: "empty", points: [] }, { name: "all bad", points: [[Number.NaN, 1]] }],
    });
    assert.equal(count(withEmpty, /<polyline /g), 3);
    assert.ok(withEmpty.includes(">all bad</text>"), "still listed in the legend");
  });

  it("escapes XML special characters in every piece of text", () => {
    const svg = lineChart({
      title: "p<q & r>s",
      xLabel: 'x "quoted"',
      yLabel: "y's",
      series: [{ name: "a<b & c", points: [[1, 1]] }],
    });
    checkTags(svg);
    assert.ok(svg.includes("p&lt;q &amp; r&gt;s"));
    assert.ok(svg.includes("x &quot;quoted&quot;"));
    assert.ok(svg.includes("y&apos;s"));
    assert.ok(svg.includes(">a&lt;b &amp; c</text>"));
    assert.ok(!svg.includes("a<b"));
  });

  it("is deterministic", () => {
    assert.equal(lineChart(base), lineChart(structuredClone(base)));
  });

  it("uses nice 1/2/5 × 10^n ticks and starts a linear y axis at 0", () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: "s",
          points: [
            [3, 41],
            [7, 97],
          ],
        },
      ],
    });
    assert.deepEqual(tickLabels(svg, "y"), ["0", "20", "40", "60", "80", "100"]);
    assert.deepEqual(tickLabels(svg, "x"), ["3", "4", "5", "6", "7"]);

    const negative = lineChart({
      ...base,
      series: [
        {
          name: "s",
          points: [
            [0, -0.3],
            [1, 0.25],
          ],
        },
      ],
    });
    assert.deepEqual(tickLabels(negative, "y"), ["-0.4", "-0.2", "0", "0.2", "0.4"]);
  });

  it("puts log-axis ticks at powers of 10 and skips values ≤ 0", () => {
    const svg = lineChart({
      ...base,
      logX: true,
      logY: true,
      series: [
        {
          name: "s",
          points: [
            [0, 5],
            [-4, 5],
            [10, 0],
            [2, 3],
            [500, 0.02],
          ],
        },
      ],
    });
    assert.deepEqual(tickLabels(svg, "x"), ["1", "10", "100", "1000"]);
    assert.deepEqual(tickLabels(svg, "y"), ["0.01", "0.1", "1", "10"]);
    assert.equal(count(svg, /<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/g), 1, "two points kept");
  });

  it("handles edge cases without throwing", () => {
    const cases: ChartSpec[] = [
      { ...base, series: [] },
      { ...base, series: [{ name: "one", points: [[5, 7]] }] },
      { ...base, series: [{ name: "zero", points: [[0, 0]] }] },
      {
        ...base,
        series: [
          {
            name: "flat",
            points: [
              [1, 4],
              [1, 4],
              [1, 4],
            ],
          },
        ],
      },
      {
        ...base,
        series: [
          {
            name: "non-finite",
            points: [
              [Number.NaN, 1],
              [1, Number.POSITIVE_INFINITY],
              [Number.NEGATIVE_INFINITY, 2],
              [2, 3],
            ],
          },
        ],
      },
      { ...base, logX: true, logY: true, series: [{ name: "log ≤ 0", points: [[0, -1]] }] },
      { ...base, logY: true, series: [{ name: "log flat", points: [[1, 100]] }] },
      { ...base, width: -5, height: Number.NaN },
      { ...base, width: 0, height: 1e9 },
      { ...base, series: [{ name: "x".repeat(500), points: [[1e-320, 2e-320]] }] },
    ];
    for (const spec of cases) {
      const svg = lineChart(spec);
      checkTags(svg);
      assert.doesNotMatch(svg, /NaN|Infinity/);
      const [w, h] = viewBox(svg);
      for (const [x, y] of coordinates(svg)) {
        assert.ok(x >= 0 && x <= w && y >= 0 && y <= h, `(${x}, ${y}) outside ${w}×${h}`);
      }
    }
    assert.match(lineChart(cases[0] ?? base), /no data/);
    // All-equal values still get an axis with a non-zero span (distinct tick labels).
    const flat = lineChart(cases[3] ?? base);
    assert.ok(new Set(tickLabels(flat, "x")).size >= 2);
    assert.ok(new Set(tickLabels(flat, "y")).size >= 2);
    const zero = lineChart(cases[2] ?? base);
    assert.ok(new Set(tickLabels(zero, "y")).size >= 2);
  });
});

describe("lineChart (properties)", () => {
  const special = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0);
  const tame = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }) },
    { weight: 1, arbitrary: special },
  );
  const seriesArb = (value: fc.Arbitrary<number>): fc.Arbitrary<Series> =>
    fc.record({
      name: fc.string({ maxLength: 40, unit: "binary" }),
      points: fc.array(fc.tuple(value, value), { maxLength: 12 }),
    });
  const specArb = (value: fc.Arbitrary<number>): fc.Arbitrary<ChartSpec> =>
    fc.record(
      {
        title: fc.string({ unit: "binary" }),
        xLabel: fc.string(),
        yLabel: fc.string(),
        series: fc.array(seriesArb(value), { maxLength: 14 }),
        logX: fc.boolean(),
        logY: fc.boolean(),
        width: fc.oneof(fc.integer({ min: -100, max: 2000 }), fc.double()),
        height: fc.oneof(fc.integer({ min: -100, max: 2000 }), fc.double()),
      },
      { requiredKeys: ["title", "xLabel", "yLabel", "series"] },
    );

  function checkInside(svg: string): void {
    checkTags(svg);
    assert.doesNotMatch(svg, /NaN|Infinity/);
    const [w, h] = viewBox(svg);
    assert.ok(w > 0 && h > 0);
    for (const [x, y] of coordinates(svg)) {
      assert.ok(x >= 0 && x <= w && y >= 0 && y <= h, `(${x}, ${y}) outside ${w}×${h}`);
    }
  }

  it("keeps every coordinate inside the viewBox and draws one polyline per non-empty series", () => {
    fc.assert(
      fc.property(specArb(tame), (spec) => {
        const svg = lineChart(spec);
        checkInside(svg);
        const ok = (v: number, log: boolean | undefined): boolean => Number.isFinite(v) && (!log || v > 0);
        const nonEmpty = spec.series.filter((s) =>
          s.points.some(([x, y]) => ok(x, spec.logX) && ok(y, spec.logY)),
        ).length;
        assert.equal(count(svg, /<polyline /g), nonEmpty);
        assert.equal(lineChart(spec), svg, "deterministic");
      }),
      { numRuns: 300 },
    );
  });

  it("stays well-formed and inside the viewBox for arbitrary doubles, huge and tiny", () => {
    fc.assert(
      fc.property(specArb(fc.double()), (spec) => {
        checkInside(lineChart(spec));
      }),
      { numRuns: 300 },
    );
  });
});
