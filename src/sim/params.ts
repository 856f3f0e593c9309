// Parsers for scenario and bench flags: each validates and throws a RangeError that says what was
// expected, so bad input never reaches a simulation: every flag is validated, with a clear error.
import { parseLatency } from "./engine/latency.js";

export function parseCount(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new RangeError(`--${flag}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

export function parseNumber(
  flag: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new RangeError(`--${flag}: expected a number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

/** A latency spec flag (const:MS | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA), kept as text once it parses. */
export function parseLatencyFlag(raw: string): string {
  parseLatency(raw);
  return raw;
}

export function parseProbability(flag: string): (raw: string) => number {
  return parseNumber(flag, 0, 1);
}

export const parseSeed = parseCount("seed", 0, Number.MAX_SAFE_INTEGER);

/** "J,C,L" churn rates (joins, crashes, leaves per second), each ≥ 0. */
export function parseRates(flag: string, names: readonly string[]): (raw: string) => string {
  return (raw) => {
    const parts = raw.split(",").map((p) => p.trim());
    const ok =
      parts.length === names.length &&
      parts.every((p) => p !== "" && Number.isFinite(Number(p)) && Number(p) >= 0);
    if (!ok)
      throw new RangeError(
        `--${flag}: expected ${names.join(",")} as ${names.length} numbers ≥ 0, got ${JSON.stringify(raw)}`,
      );
    return parts.map(Number).join(",");
  };
}
