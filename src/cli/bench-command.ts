// `selfman bench <workload>`: benchmarks that print one JSON object (METRICS.md §1, §7). Speed is
// measured here, never asserted in tests.
import type { Command } from "commander";
import { benchSimCore } from "../../bench/sim-core.js";
import { parseCount, parseProbability, parseSeed } from "../sim/params.js";
import { table } from "../sim/report.js";
import { toJsonLine } from "./sim-command.js";

function parseOr<V>(raw: unknown, parse: (text: string) => V, fallback: V): V {
  return typeof raw === "string" ? parse(raw) : fallback;
}

export function addBenchCommand(program: Command): void {
  const bench = program
    .command("bench")
    .description("measure throughput and latency; prints JSON with --json");
  bench
    .command("sim-core")
    .description("the bare scheduler and network model with a trivial ping component")
    .option("--nodes <n>", "simulated nodes (default 10000)")
    .option("--events <n>", "events to measure (default 5000000)")
    .option("--seed <s>", "seed (default 1)")
    .option("--loss <p>", "message loss probability (default 0)")
    .option("--json", "print exactly one JSON line on stdout")
    .action((opts: Record<string, unknown>) => {
      const result = benchSimCore({
        nodes: parseOr(opts.nodes, parseCount("nodes", 1, 1_000_000), 10_000),
        events: parseOr(opts.events, parseCount("events", 1), 5_000_000),
        seed: parseOr(opts.seed, parseSeed, 1),
        loss: parseOr(opts.loss, parseProbability("loss"), 0),
      });
      if (opts.json === true) {
        process.stdout.write(`${toJsonLine(result)}\n`);
        return;
      }
      process.stdout.write(
        `bench sim-core\n${table([
          ["nodes", result.params.nodes],
          ["events", result.metrics.events],
          ["events/s", result.eventsPerSec],
          ["bare heap loop events/s", result.baseline.eventsPerSec],
          ["ratio", result.ratio],
        ])}\n`,
      );
    });
}
