// Dependency-free SVG line charts for simulator reports (branches vs N, merge rounds vs N, …): one
// standalone <svg> document per chart with "nice" ticks, optional log axes, markers and a legend.
// Deterministic (same spec ⇒ same string) and total: bad points are skipped, never thrown on.

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

const DEFAULT_WIDTH = 640;
const DEFAULT_HEIGHT = 400;
const MIN_WIDTH = 320;
const MIN_HEIGHT = 200;
const MAX_SIZE = 10_000;
/** Values beyond ±LIMIT are skipped like non-finite ones, so span arithmetic cannot overflow. */
const LIMIT = 1e300;
/** Rough advance of one 12px sans-serif character, used to size the legend. */
const CHAR_WIDTH = 7;
const MAX_LEGEND_CHARS = 28;
/** Tableau 10: distinct hues that stay readable in print; cycles get a dash pattern on top. */
const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const DASHES: readonly string[] = ["", "6 3", "2 3", "8 3 2 3"];

interface Tick {
  /** Position in axis units (log10 of the value on a log axis). */
  readonly at: number;
  readonly label: string;
}

/** An axis in its own units: the raw value on a linear axis, log10 of it on a log axis. */
interface Axis {
  readonly log: boolean;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly Tick[];
}

/** A coordinate rounded to 2 decimals, without "-0". */
function num(n: number): string {
  const r = Math.round(n * 100) / 100;
  return r === 0 ? "0" : String(r);
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Text safe for element content and attribute values; characters XML 1.0 forbids are dropped. */
function escapeXml(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!isXmlChar(cp)) continue;
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else if (ch === "'") out += "&apos;";
    else out += ch;
  }
  return out;
}

function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : `${chars.slice(0, Math.max(0, maxChars - 1)).join("")}…`;
}

function usable(v: number, log: boolean): boolean {
  return Number.isFinite(v) && Math.abs(v) <= LIMIT && (!log || v > 0);
}

function size(value: number | undefined, fallback: number, min: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(MAX_SIZE, Math.max(min, value));
}

/** The smallest 1, 2 or 5 × 10^n that is ≥ raw (raw > 0). */
function niceStep(raw: number): number {
  const base = 10 ** Math.floor(Math.log10(raw));
  const f = raw / base;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * base;
}

/** Gives a degenerate range a non-zero span; with includeZero a bound at 0 stays there. */
function widen(lo: number, hi: number, includeZero: boolean): [number, number] {
  const mag = Math.max(Math.abs(lo), Math.abs(hi));
  const minSpan = Math.max(mag * 1e-9, 1e-200);
  if (hi - lo >= minSpan) return [lo, hi];
  const pad = mag === 0 ? 0.5 : lo === hi ? Math.max(mag * 0.1, minSpan) : minSpan;
  if (includeZero && lo === 0) return [0, Math.max(hi, 2 * pad)];
  if (includeZero && hi === 0) return [Math.min(lo, -2 * pad), 0];
  const mid = lo / 2 + hi / 2;
  return [mid - pad, mid + pad];
}

function linearLabel(v: number, step: number): string {
  if (Math.abs(v) < step / 2) return "0";
  const exp = Math.floor(Math.log10(step));
  if (exp < -6 || exp >= 15 || Math.abs(v) >= 1e15) {
    const digits = Math.floor(Math.log10(Math.abs(v))) - exp;
    return v.toExponential(Math.min(20, Math.max(0, digits)));
  }
  return v.toFixed(Math.max(0, -exp));
}

function extent(values: readonly number[], empty: readonly [number, number]): [number, number] {
  if (values.length === 0) return [empty[0], empty[1]];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function linearAxis(values: readonly number[], includeZero: boolean): Axis {
  let [lo, hi] = extent(values, [0, 1]);
  if (includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  [lo, hi] = widen(lo, hi, includeZero);
  const step = niceStep((hi - lo) / 5);
  const kLo = Math.floor(lo / step);
  const kHi = Math.ceil(hi / step);
  const ticks: Tick[] = [];
  for (let k = kLo; k <= kHi && ticks.length < 50; k++) {
    ticks.push({ at: k * step, label: linearLabel(k * step, step) });
  }
  return { log: false, min: Math.min(kLo * step, lo), max: Math.max(kHi * step, hi), ticks };
}

function powerLabel(e: number): string {
  if (e >= 0 && e <= 4) return String(10 ** e);
  if (e < 0 && e >= -3) return (10 ** e).toFixed(-e);
  return `1e${e}`;
}

/** Ticks at powers of 10 (every few decades when the range is wide). */
function logAxis(values: readonly number[]): Axis {
  const [lo, hi] = extent(
    values.map((v) => Math.log10(v)),
    [0, 1],
  );
  let eLo = Math.floor(lo);
  let eHi = Math.ceil(hi);
  if (eHi === eLo) eHi = eLo + 1;
  const every = Math.max(1, Math.ceil((eHi - eLo) / 8));
  eLo = Math.floor(eLo / every) * every;
  eHi = Math.ceil(eHi / every) * every;
  const ticks: Tick[] = [];
  for (let e = eLo; e <= eHi; e += every) ticks.push({ at: e, label: powerLabel(e) });
  return { log: true, min: eLo, max: eHi, ticks };
}

/** Where a value (in axis units) falls between the axis ends, clamped to [0, 1]. */
function fraction(axis: Axis, at: number): number {
  const t = (at - axis.min) / (axis.max - axis.min);
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
}

function axisUnits(axis: Axis, v: number): number {
  return axis.log ? Math.log10(v) : v;
}

/** A complete standalone SVG document plotting every series as a polyline with circle markers. */
export function lineChart(spec: ChartSpec): string {
  const width = size(spec.width, DEFAULT_WIDTH, MIN_WIDTH);
  const height = size(spec.height, DEFAULT_HEIGHT, MIN_HEIGHT);
  const logX = spec.logX === true;
  const logY = spec.logY === true;

  const cleaned: (readonly (readonly [number, number])[])[] = spec.series.map((s) =>
    s.points.filter(([x, y]) => usable(x, logX) && usable(y, logY)).sort((a, b) => a[0] - b[0]),
  );
  const xs = cleaned.flatMap((pts) => pts.map(([x]) => x));
  const ys = cleaned.flatMap((pts) => pts.map(([, y]) => y));
  const xAxis = logX ? logAxis(xs) : linearAxis(xs, false);
  const yAxis = logY ? logAxis(ys) : linearAxis(ys, true);

  const longest = spec.series.reduce((m, s) => Math.max(m, Array.from(s.name).length), 0);
  const legendChars = Math.min(longest, MAX_LEGEND_CHARS, Math.floor((width * 0.35 - 30) / CHAR_WIDTH));
  const legendWidth = spec.series.length === 0 ? 0 : 30 + legendChars * CHAR_WIDTH;
  const left = 72;
  const right = width - 24 - legendWidth;
  const top = 40;
  const bottom = height - 56;
  const px = (v: number): number => left + fraction(xAxis, axisUnits(xAxis, v)) * (right - left);
  const py = (v: number): number => bottom - fraction(yAxis, axisUnits(yAxis, v)) * (bottom - top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" ` +
      `viewBox="0 0 ${num(width)} ${num(height)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    `<text class="title" x="${num(width / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">` +
      `${escapeXml(spec.title)}</text>`,
  );

  const tickXs = xAxis.ticks.map((t) => num(left + fraction(xAxis, t.at) * (right - left)));
  const tickYs = yAxis.ticks.map((t) => num(bottom - fraction(yAxis, t.at) * (bottom - top)));

  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1">');
  for (const x of tickXs) out.push(`<line x1="${x}" y1="${num(top)}" x2="${x}" y2="${num(bottom)}"/>`);
  for (const y of tickYs) out.push(`<line x1="${num(left)}" y1="${y}" x2="${num(right)}" y2="${y}"/>`);
  out.push("</g>");

  out.push('<g class="axes" stroke="#333333" stroke-width="1">');
  out.push(`<line x1="${num(left)}" y1="${num(bottom)}" x2="${num(right)}" y2="${num(bottom)}"/>`);
  out.push(`<line x1="${num(left)}" y1="${num(top)}" x2="${num(left)}" y2="${num(bottom)}"/>`);
  for (const x of tickXs) out.push(`<line x1="${x}" y1="${num(bottom)}" x2="${x}" y2="${num(bottom + 5)}"/>`);
  for (const y of tickYs) out.push(`<line x1="${num(left - 5)}" y1="${y}" x2="${num(left)}" y2="${y}"/>`);
  out.push("</g>");

  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (const t of xAxis.ticks) {
    const x = num(left + fraction(xAxis, t.at) * (right - left));
    out.push(`<text x="${x}" y="${num(bottom + 18)}">${escapeXml(t.label)}</text>`);
  }
  out.push("</g>");
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const t of yAxis.ticks) {
    const y = num(bottom - fraction(yAxis, t.at) * (bottom - top));
    out.push(`<text x="${num(left - 8)}" y="${y}" dy="0.32em">${escapeXml(t.label)}</text>`);
  }
  out.push("</g>");

  const midY = num((top + bottom) / 2);
  out.push(
    `<text class="x-label" x="${num((left + right) / 2)}" y="${num(height - 14)}" text-anchor="middle">` +
      `${escapeXml(spec.xLabel)}</text>`,
    `<text class="y-label" x="16" y="${midY}" transform="rotate(-90 16 ${midY})" text-anchor="middle">` +
      `${escapeXml(spec.yLabel)}</text>`,
  );

  spec.series.forEach((s, i) => {
    const pts = cleaned[i] ?? [];
    if (pts.length === 0) return;
    const colour = PALETTE[i % PALETTE.length] ?? "#000000";
    const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length] ?? "";
    const dashAttr = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
    out.push(`<g class="series" fill="${colour}" stroke="${colour}">`, `<title>${escapeXml(s.name)}</title>`);
    const coords = pts.map(([x, y]) => `${num(px(x))},${num(py(y))}`);
    out.push(`<polyline points="${coords.join(" ")}" fill="none" stroke-width="2"${dashAttr}/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${num(px(x))}" cy="${num(py(y))}" r="3"/>`);
    out.push("</g>");
  });

  if (xs.length === 0) {
    out.push(
      `<text class="no-data" x="${num((left + right) / 2)}" y="${midY}" text-anchor="middle" fill="#999999">` +
        "no data</text>",
    );
  }

  if (spec.series.length > 0) {
    const rowHeight = Math.min(18, (bottom - top) / spec.series.length);
    const lx = right + 16;
    out.push('<g class="legend">');
    spec.series.forEach((s, i) => {
      const colour = PALETTE[i % PALETTE.length] ?? "#000000";
      const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length] ?? "";
      const dashAttr = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
      const y = top + 6 + i * rowHeight;
      out.push(
        `<line x1="${num(lx)}" y1="${num(y)}" x2="${num(lx + 20)}" y2="${num(y)}" stroke="${colour}" ` +
          `stroke-width="2"${dashAttr}/>`,
        `<circle cx="${num(lx + 10)}" cy="${num(y)}" r="3" fill="${colour}"/>`,
        `<text x="${num(lx + 26)}" y="${num(y)}" dy="0.32em">${escapeXml(truncate(s.name, legendChars))}</text>`,
      );
    });
    out.push("</g>");
  }

  out.push("</svg>");
  return out.join("\n");
}
