// One-way link latency distributions for the simulated network: constant, uniform and log-normal
// (the heavy right tail of real links). Draws come from the network's seeded stream.
import type { Prng } from "./prng.js";

export type LatencySpec =
  | { readonly kind: "constant"; readonly ms: number }
  | { readonly kind: "uniform"; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: "lognormal"; readonly medianMs: number; readonly sigma: number };

export function sampleLatency(spec: LatencySpec, rng: Prng): number {
  switch (spec.kind) {
    case "constant":
      return spec.ms;
    case "uniform":
      return rng.uniform(spec.minMs, spec.maxMs);
    case "lognormal":
      return spec.medianMs * Math.exp(spec.sigma * rng.normal());
  }
}

export function validateLatency(spec: LatencySpec): void {
  const bad = (why: string) => new RangeError(`latency ${JSON.stringify(spec)}: ${why}`);
  switch (spec.kind) {
    case "constant":
      if (!(spec.ms >= 0)) throw bad("ms must be ≥ 0");
      return;
    case "uniform":
      if (!(spec.minMs >= 0 && spec.maxMs >= spec.minMs)) throw bad("need 0 ≤ minMs ≤ maxMs");
      return;
    case "lognormal":
      if (!(spec.medianMs > 0 && spec.sigma >= 0)) throw bad("need medianMs > 0 and sigma ≥ 0");
      return;
  }
}

/** Parses "10", "const:10", "uniform:5-20" or "lognormal:10,0.5" (median ms, sigma), as the CLI takes it. */
export function parseLatency(text: string): LatencySpec {
  const [kind, arg = ""] = text.includes(":") ? text.split(":", 2) : ["const", text];
  let spec: LatencySpec;
  if (kind === "const" || kind === "constant") {
    spec = { kind: "constant", ms: Number(arg) };
  } else if (kind === "uniform") {
    const [min, max] = arg.split("-").map(Number);
    spec = { kind: "uniform", minMs: min ?? Number.NaN, maxMs: max ?? Number.NaN };
  } else if (kind === "lognormal") {
    const [median, sigma] = arg.split(",").map(Number);
    spec = { kind: "lognormal", medianMs: median ?? Number.NaN, sigma: sigma ?? Number.NaN };
  } else {
    throw new RangeError(
      `unknown latency kind ${JSON.stringify(kind)}: use const:MS, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA`,
    );
  }
  validateLatency(spec);
  return spec;
}
