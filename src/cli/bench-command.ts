// `selfman bench <workload>`: benchmarks that print one JSON object (METRICS.md §1, §7). Speed is
// measured here, never asserted in tests.
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { benchKv } from "../../bench/kv.js";
import { benchLookup } from "../../bench/lookup.js";
import { benchSimCore } from "../../bench/sim-core.js";
import { benchTx } from "../../bench/tx.js";
import { parseCount, parseProbability, parseSeed } from "../sim/params.js";
import { table } from "../sim/report.js";
import { commanderParser } from "./flags.js";
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
  bench
    .command("lookup")
    .description(
      "lookups/s and latency through a local cluster over TLS; transport messages/s vs a bare TLS socket",
    )
    .option("--nodes <n>", "node processes", commanderParser(parseCount("nodes", 2, 64)), 8)
    .option(
      "--lookups <n>",
      "measured lookups per node",
      commanderParser(parseCount("lookups", 1, 1_000_000)),
      5000,
    )
    .option(
      "--concurrency <n>",
      "lookups in flight per node",
      commanderParser(parseCount("concurrency", 1, 10_000)),
      32,
    )
    .option(
      "--messages <n>",
      "messages for the transport throughput",
      commanderParser(parseCount("messages", 1000, 10_000_000)),
      200_000,
    )
    .option(
      "--base-port <p>",
      "ports P+1… for the nodes, P+101… for their admin ports",
      commanderParser(parseCount("base-port", 1, 65_000)),
      24_000,
    )
    .option("--json", "print exactly one JSON line on stdout")
    .action(
      async (opts: {
        nodes: number;
        lookups: number;
        concurrency: number;
        messages: number;
        basePort: number;
        json?: boolean;
      }) => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-bench-"));
        const result = await benchLookup(
          {
            nodes: opts.nodes,
            lookupsPerNode: opts.lookups,
            concurrency: opts.concurrency,
            transportMessages: opts.messages,
            basePort: opts.basePort,
            dir,
          },
          (line) => process.stderr.write(`  ${line}\n`),
        );
        if (opts.json === true) {
          process.stdout.write(`${toJsonLine(result)}\n`);
          return;
        }
        process.stdout.write(
          `bench lookup\n${table([
            ["nodes", result.params.nodes],
            ["lookups/s", result.metrics.opsPerSec],
            ["latency p50 ms", result.metrics.latencyP50Ms],
            ["latency p99 ms", result.metrics.latencyP99Ms],
            ["failed lookups", result.metrics.failed],
            ["transport msgs/s", result.metrics.transportMsgsPerSec],
            ["bare TLS msgs/s", result.baseline.msgsPerSec],
            ["ratio", result.ratio],
          ])}\n`,
        );
      },
    );
  bench
    .command("kv")
    .description("single-key operations/s and latency through a local cluster over TLS")
    .option("--nodes <n>", "node processes", commanderParser(parseCount("nodes", 1, 64)), 4)
    .option("--workload <w>", "read | write | incr", commanderParser(parseWorkload), "read")
    .option(
      "--ops <n>",
      "measured operations per node",
      commanderParser(parseCount("ops", 1, 10_000_000)),
      5000,
    )
    .option(
      "--concurrency <n>",
      "operations in flight per node",
      commanderParser(parseCount("concurrency", 1, 10_000)),
      32,
    )
    .option("--keys <n>", "keys, chosen uniformly", commanderParser(parseCount("keys", 1, 1_000_000)), 100)
    .option(
      "--base-port <p>",
      "ports P+1… for the nodes, P+101… for their admin ports",
      commanderParser(parseCount("base-port", 1, 65_000)),
      24_500,
    )
    .option("--json", "print exactly one JSON line on stdout")
    .action(
      async (opts: {
        nodes: number;
        workload: "read" | "write" | "incr";
        ops: number;
        concurrency: number;
        keys: number;
        basePort: number;
        json?: boolean;
      }) => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-bench-"));
        const result = await benchKv(
          {
            nodes: opts.nodes,
            workload: opts.workload,
            opsPerNode: opts.ops,
            concurrency: opts.concurrency,
            keys: opts.keys,
            basePort: opts.basePort,
            dir,
          },
          (line) => process.stderr.write(`  ${line}\n`),
        );
        if (opts.json === true) {
          process.stdout.write(`${toJsonLine(result)}\n`);
          return;
        }
        process.stdout.write(
          `bench kv (${result.params.workload})\n${table([
            ["nodes", result.params.nodes],
            ["ops/s", result.metrics.opsPerSec],
            ["latency p50 ms", result.metrics.latencyP50Ms],
            ["latency p99 ms", result.metrics.latencyP99Ms],
            ["failed", result.metrics.failed],
          ])}\n`,
        );
      },
    );
  bench
    .command("tx")
    .description("transactions/s, abort rate and latency through a local cluster over TLS")
    .option("--nodes <n>", "node processes", commanderParser(parseCount("nodes", 1, 64)), 4)
    .option("--workload <w>", "increment | transfer", commanderParser(parseTxWorkload), "increment")
    .option(
      "--txs <n>",
      "measured transactions per node",
      commanderParser(parseCount("txs", 1, 10_000_000)),
      2000,
    )
    .option(
      "--concurrency <n>",
      "transactions in flight per node",
      commanderParser(parseCount("concurrency", 1, 10_000)),
      16,
    )
    .option(
      "--keys <n>",
      "counters or accounts, chosen uniformly",
      commanderParser(parseCount("keys", 2, 1_000_000)),
      100,
    )
    .option(
      "--base-port <p>",
      "ports P+1… for the nodes, P+101… for their admin ports",
      commanderParser(parseCount("base-port", 1, 65_000)),
      24_700,
    )
    .option("--json", "print exactly one JSON line on stdout")
    .action(
      async (opts: {
        nodes: number;
        workload: "increment" | "transfer";
        txs: number;
        concurrency: number;
        keys: number;
        basePort: number;
        json?: boolean;
      }) => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-bench-"));
        const result = await benchTx(
          {
            nodes: opts.nodes,
            workload: opts.workload,
            txsPerNode: opts.txs,
            concurrency: opts.concurrency,
            keys: opts.keys,
            basePort: opts.basePort,
            dir,
          },
          (line) => process.stderr.write(`  ${line}\n`),
        );
        if (!result.metrics.totalsMatch) process.exitCode = 1;
        if (opts.json === true) {
          process.stdout.write(`${toJsonLine(result)}\n`);
          return;
        }
        process.stdout.write(
          `bench tx (${result.params.workload})\n${table([
            ["nodes", result.params.nodes],
            ["commits/s", result.metrics.commitsPerSec],
            ["abort rate", result.metrics.abortRate],
            ["latency p50 ms", result.metrics.latencyP50Ms],
            ["latency p99 ms", result.metrics.latencyP99Ms],
            ["failed", result.metrics.failed],
            ["total before", result.metrics.totalBefore],
            ["total after", result.metrics.totalAfter],
            ["totals match", result.metrics.totalsMatch],
          ])}\n`,
        );
      },
    );
}

function parseWorkload(raw: string): "read" | "write" | "incr" {
  if (raw !== "read" && raw !== "write" && raw !== "incr")
    throw new RangeError(`--workload: expected read, write or incr, got ${JSON.stringify(raw)}`);
  return raw;
}

function parseTxWorkload(raw: string): "increment" | "transfer" {
  if (raw !== "increment" && raw !== "transfer")
    throw new RangeError(`--workload: expected increment or transfer, got ${JSON.stringify(raw)}`);
  return raw;
}
