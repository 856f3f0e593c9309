// `selfman bench <workload>`: benchmarks that print one JSON object (docs/metrics.md §1, §7). Speed is
// measured here, never asserted in tests. bin/selfman, the composition root, registers this command
// into the CLI of src/cli/main.ts: src never imports bench/ (docs/architecture.md §1). A live benchmark
// runs its cluster in a temp directory; SIGINT or SIGTERM stops that cluster (docs/live-runtime.md §5).

import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { commanderParser, durabilityOption } from "../src/cli/flags.js";
import { toJsonLine } from "../src/cli/sim-command.js";
import { stopOnSignal } from "../src/cli/stop-on-signal.js";
import { type Durability, parseDurability } from "../src/runtime/durability.js";
import { clusterDown } from "../src/runtime/local-cluster.js";
import { parseCount, parseProbability, parseSeed } from "../src/sim/params.js";
import { table } from "../src/sim/report.js";
import { type ApiBenchResult, benchApi, type PathFigures } from "./api.js";
import { benchCompare, type CompareResult } from "./compare.js";
import { benchKv, type KvBenchResult } from "./kv.js";
import { benchLookup, type LookupBenchResult } from "./lookup.js";
import { benchSimCore, type SimCoreResult } from "./sim-core.js";
import { benchTx, type TxBenchResult } from "./tx.js";

type KvWorkload = "read" | "write" | "incr";
type TxWorkload = "increment" | "transfer";

/** Registers `selfman bench` and its subcommands on `program`. */
export function addBenchCommand(program: Command): void {
  const bench = program
    .command("bench")
    .description("measure throughput and latency; prints JSON with --json");
  addSimCoreBench(bench);
  addLookupBench(bench);
  addKvBench(bench);
  addTxBench(bench);
  addApiBench(bench);
  addCompareBench(bench);
}

function addCompareBench(bench: Command): void {
  bench
    .command("compare")
    .description(
      "selfman's quorum reads and increments beside Scalaris's, interleaved A B A B A B; medians and ratios",
    )
    .requiredOption(
      "--scalaris <script>",
      "Scalaris's benchmark script: run with bash and --threads T, it prints one JSON line with increment and quorum_read",
    )
    .option("--rounds <n>", "interleaved rounds", commanderParser(parseCount("rounds", 1, 20)), 3)
    .option(
      "--in-flight <list>",
      "operations in flight per node (= Scalaris threads per VM), comma-separated",
      commanderParser(parseInFlightList),
      [8, 1],
    )
    .option(
      "--durabilities <list>",
      "selfman durabilities to run, comma-separated",
      commanderParser(parseDurabilityList),
      ["sync", "process"],
    )
    .option(
      "--nodes <n>",
      "node processes (= Scalaris VMs: match its script)",
      commanderParser(parseCount("nodes", 1, 64)),
      4,
    )
    .option(
      "--ops <n>",
      "quorum reads per node and run",
      commanderParser(parseCount("ops", 1, 10_000_000)),
      5000,
    )
    .option(
      "--txs <n>",
      "increments per node and run",
      commanderParser(parseCount("txs", 1, 10_000_000)),
      2000,
    )
    .option(
      "--keys <n>",
      "keys and counters, chosen uniformly",
      commanderParser(parseCount("keys", 2, 1_000_000)),
      1000,
    )
    .option(
      "--base-port <p>",
      "ports of the benchmarks' clusters (P+…, P+200+…)",
      commanderParser(parseCount("base-port", 1, 65_000)),
      24_500,
    )
    .option("--json", "print exactly one JSON line on stdout")
    .action(
      async (opts: {
        scalaris: string;
        rounds: number;
        inFlight: number[];
        durabilities: Durability[];
        nodes: number;
        ops: number;
        txs: number;
        keys: number;
        basePort: number;
        json?: boolean;
      }) => {
        const stop = stopOnSignal();
        let dir: string | null = null;
        const stopped = stop.requested.then(async (signal) => {
          logProgress(`${signal}: stopping the comparison …`);
          if (dir !== null) await clusterDown(dir);
        });
        try {
          const result = await benchCompare(
            {
              scalaris: opts.scalaris,
              rounds: opts.rounds,
              inFlight: opts.inFlight,
              durabilities: opts.durabilities,
              nodes: opts.nodes,
              opsPerNode: opts.ops,
              txsPerNode: opts.txs,
              keys: opts.keys,
              basePort: opts.basePort,
            },
            { log: logProgress, signal: stop.signal, onDir: (d) => (dir = d) },
          );
          print(opts.json === true, result, compareTable);
        } catch (error) {
          if (stop.received === null) throw error;
          await stopped;
          process.exitCode = stop.exitCode;
        } finally {
          stop.dispose();
        }
      },
    );
}

function parseInFlightList(raw: string): number[] {
  return raw.split(",").map((part) => parseCount("in-flight", 1, 10_000)(part.trim()));
}

function parseDurabilityList(raw: string): Durability[] {
  return raw.split(",").map((part) => parseDurability(part.trim()));
}

function compareTable(result: CompareResult): string {
  const rows: [string, string][] = [];
  for (const s of result.settings) {
    for (const [system, m] of Object.entries(s.medians))
      rows.push([
        `${s.inFlight} in flight: ${system}`,
        `reads ${m.quorumRead.opsPerSec}/s ${m.quorumRead.latencyMs ?? "-"} ms   increments ${m.increment.opsPerSec}/s ${m.increment.latencyMs ?? "-"} ms (aborts ${m.increment.abortRate ?? "-"})`,
      ]);
    for (const [system, r] of Object.entries(s.ratios))
      rows.push([
        `${s.inFlight} in flight: ${system} / scalaris`,
        `reads ×${r.quorumReadThroughput ?? "-"} (latency ×${r.quorumReadLatency ?? "-"})   increments ×${r.incrementThroughput ?? "-"} (latency ×${r.incrementLatency ?? "-"})`,
      ]);
  }
  return `bench compare (medians of ${result.params.rounds} interleaved rounds)\n${table(rows)}`;
}

function addApiBench(bench: Command): void {
  const command = bench
    .command("api")
    .description("HTTP API requests/s and latency next to the same operations inside the node processes")
    .option("--nodes <n>", "node processes", commanderParser(parseCount("nodes", 1, 64)), 4)
    .option(
      "--ops <n>",
      "operations per node and run",
      commanderParser(parseCount("ops", 1, 10_000_000)),
      5000,
    )
    .option(
      "--concurrency <n>",
      "operations in flight per node",
      commanderParser(parseCount("concurrency", 1, 10_000)),
      32,
    )
    .option("--keys <n>", "keys, chosen in turn", commanderParser(parseCount("keys", 2, 1_000_000)), 100);
  liveOptions(command, 24_900).action(
    async (opts: {
      nodes: number;
      ops: number;
      concurrency: number;
      keys: number;
      basePort: number;
      durability: Durability;
      json?: boolean;
    }) => {
      await onLocalCluster(
        (dir, signal) =>
          benchApi(
            {
              nodes: opts.nodes,
              opsPerNode: opts.ops,
              concurrency: opts.concurrency,
              keys: opts.keys,
              basePort: opts.basePort,
              durability: opts.durability,
              dir,
            },
            logProgress,
            signal,
          ),
        (result) => print(opts.json === true, result, apiTable),
      );
    },
  );
}

// ---- the subcommands ----------------------------------------------------------------------------

function addSimCoreBench(bench: Command): void {
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
      print(opts.json === true, result, simCoreTable);
    });
}

function addLookupBench(bench: Command): void {
  const command = bench
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
    );
  liveOptions(command, 24_000).action(
    async (opts: {
      nodes: number;
      lookups: number;
      concurrency: number;
      messages: number;
      basePort: number;
      durability: Durability;
      json?: boolean;
    }) => {
      await onLocalCluster(
        (dir, signal) =>
          benchLookup(
            {
              nodes: opts.nodes,
              lookupsPerNode: opts.lookups,
              concurrency: opts.concurrency,
              transportMessages: opts.messages,
              basePort: opts.basePort,
              durability: opts.durability,
              dir,
            },
            logProgress,
            signal,
          ),
        (result) => print(opts.json === true, result, lookupTable),
      );
    },
  );
}

function addKvBench(bench: Command): void {
  const command = bench
    .command("kv")
    .description("single-key operations/s and latency through a local cluster over TLS")
    .option("--nodes <n>", "node processes", commanderParser(parseCount("nodes", 1, 64)), 4)
    .option("--workload <w>", "read | write | incr", commanderParser(parseKvWorkload), "read")
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
    .option("--keys <n>", "keys, chosen uniformly", commanderParser(parseCount("keys", 1, 1_000_000)), 100);
  liveOptions(command, 24_500).action(
    async (opts: {
      nodes: number;
      workload: KvWorkload;
      ops: number;
      concurrency: number;
      keys: number;
      basePort: number;
      durability: Durability;
      json?: boolean;
    }) => {
      await onLocalCluster(
        (dir, signal) =>
          benchKv(
            {
              nodes: opts.nodes,
              workload: opts.workload,
              opsPerNode: opts.ops,
              concurrency: opts.concurrency,
              keys: opts.keys,
              basePort: opts.basePort,
              durability: opts.durability,
              dir,
            },
            logProgress,
            signal,
          ),
        (result) => print(opts.json === true, result, kvTable),
      );
    },
  );
}

function addTxBench(bench: Command): void {
  const command = bench
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
    );
  liveOptions(command, 24_700).action(
    async (opts: {
      nodes: number;
      workload: TxWorkload;
      txs: number;
      concurrency: number;
      keys: number;
      basePort: number;
      durability: Durability;
      json?: boolean;
    }) => {
      await onLocalCluster(
        (dir, signal) =>
          benchTx(
            {
              nodes: opts.nodes,
              workload: opts.workload,
              txsPerNode: opts.txs,
              concurrency: opts.concurrency,
              keys: opts.keys,
              basePort: opts.basePort,
              durability: opts.durability,
              dir,
            },
            logProgress,
            signal,
          ),
        (result) => {
          if (!result.metrics.totalsMatch) process.exitCode = 1;
          print(opts.json === true, result, txTable);
        },
      );
    },
  );
}

// ---- shared pieces ------------------------------------------------------------------------------

/** The options every benchmark on a live cluster ends with: its nodes' durability, its ports and --json. */
function liveOptions(command: Command, defaultBasePort: number): Command {
  return durabilityOption(command)
    .option(
      "--base-port <p>",
      "ports P+1… for the nodes, P+101… for their admin ports",
      commanderParser(parseCount("base-port", 1, 65_000)),
      defaultBasePort,
    )
    .option("--json", "print exactly one JSON line on stdout");
}

/**
 * Runs a benchmark on a local cluster in a fresh temp directory (the benchmark removes it when done)
 * and hands its result to `report`. SIGINT or SIGTERM, caught from before the first node starts, stops
 * it: a start-up in progress is aborted (the nodes already started are stopped), a cluster already up
 * is stopped (the batches in flight fail with it), the directory is removed, nothing is reported, and
 * the command exits 130 (143 for SIGTERM).
 */
async function onLocalCluster<R>(
  run: (dir: string, signal: AbortSignal) => Promise<R>,
  report: (result: R) => void,
): Promise<void> {
  const stop = stopOnSignal();
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-bench-"));
    const stopped = stop.requested.then(async (signal) => {
      logProgress(`${signal}: stopping the benchmark's cluster …`);
      await clusterDown(dir);
    });
    let done: { readonly result: R } | null = null;
    try {
      done = { result: await run(dir, stop.signal) };
    } catch (error) {
      if (stop.received === null) throw error;
    }
    if (done === null || stop.received !== null) {
      await stopped;
      await rm(dir, { recursive: true, force: true });
      process.exitCode = stop.exitCode;
      return;
    }
    report(done.result);
  } finally {
    stop.dispose();
  }
}

function logProgress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

/** One JSON line with --json, else the benchmark's table. */
function print<R>(json: boolean, result: R, render: (result: R) => string): void {
  process.stdout.write(`${json ? toJsonLine(result) : render(result)}\n`);
}

function parseOr<V>(raw: unknown, parse: (text: string) => V, fallback: V): V {
  return typeof raw === "string" ? parse(raw) : fallback;
}

function parseKvWorkload(raw: string): KvWorkload {
  if (raw !== "read" && raw !== "write" && raw !== "incr")
    throw new RangeError(`--workload: expected read, write or incr, got ${JSON.stringify(raw)}`);
  return raw;
}

function parseTxWorkload(raw: string): TxWorkload {
  if (raw !== "increment" && raw !== "transfer")
    throw new RangeError(`--workload: expected increment or transfer, got ${JSON.stringify(raw)}`);
  return raw;
}

// ---- the tables printed without --json ----------------------------------------------------------

function simCoreTable(result: SimCoreResult): string {
  return `bench sim-core\n${table([
    ["nodes", result.params.nodes],
    ["events", result.metrics.events],
    ["events/s", result.eventsPerSec],
    ["bare heap loop events/s", result.baseline.eventsPerSec],
    ["ratio", result.ratio],
  ])}`;
}

function lookupTable(result: LookupBenchResult): string {
  return `bench lookup\n${table([
    ["nodes", result.params.nodes],
    ["lookups/s", result.metrics.opsPerSec],
    ["latency p50 ms", result.metrics.latencyP50Ms],
    ["latency p99 ms", result.metrics.latencyP99Ms],
    ["failed lookups", result.metrics.failed],
    ["transport msgs/s", result.metrics.transportMsgsPerSec],
    ["bare TLS msgs/s", result.baseline.msgsPerSec],
    ["ratio", result.ratio],
  ])}`;
}

function kvTable(result: KvBenchResult): string {
  return `bench kv (${result.params.workload})\n${table([
    ["nodes", result.params.nodes],
    ["durability", result.params.durability],
    ["ops/s", result.metrics.opsPerSec],
    ["CPU ms per op", result.metrics.cpuMsPerOp],
    ["latency p50 ms", result.metrics.latencyP50Ms],
    ["latency p99 ms", result.metrics.latencyP99Ms],
    ["failed", result.metrics.failed],
  ])}`;
}

function txTable(result: TxBenchResult): string {
  return `bench tx (${result.params.workload})\n${table([
    ["nodes", result.params.nodes],
    ["durability", result.params.durability],
    ["commits/s", result.metrics.commitsPerSec],
    ["CPU ms per commit", result.metrics.cpuMsPerCommit],
    ["abort rate", result.metrics.abortRate],
    ["latency p50 ms", result.metrics.latencyP50Ms],
    ["latency p99 ms", result.metrics.latencyP99Ms],
    ["failed", result.metrics.failed],
    ["total before", result.metrics.totalBefore],
    ["total after", result.metrics.totalAfter],
    ["totals match", result.metrics.totalsMatch],
  ])}`;
}

function apiTable(result: ApiBenchResult): string {
  const row = (name: string, f: PathFigures): [string, string] => [
    name,
    `${f.opsPerSec}/s  p50 ${f.latencyP50Ms ?? "-"} ms  p99 ${f.latencyP99Ms ?? "-"} ms  failed ${f.failed}`,
  ];
  const m = result.metrics;
  return `bench api\n${table([
    ["nodes", result.params.nodes],
    ["in flight per node", result.params.concurrency],
    row("read, in process", m.read.inProcess),
    row("read, HTTP", m.read.http),
    ["read ratio", m.read.ratio],
    row("write, in process", m.write.inProcess),
    row("write, HTTP", m.write.http),
    ["write ratio", m.write.ratio],
    row("increment tx, in process", m.increment.inProcess),
    row("increment tx, HTTP", m.increment.http),
    ["increment ratio", m.increment.ratio],
    row("read, JSON-RPC", m.jsonRpcRead),
  ])}`;
}
