// `selfman cluster init|up|down`: a cluster's certificates, and a local cluster of node processes
// (docs/live-runtime.md §5). A Ctrl-C during `up` stops the nodes it has started.
import type { Command } from "commander";
import { initClusterDir } from "../runtime/cluster-certificates.js";
import type { Durability } from "../runtime/durability.js";
import { CLIENT_NAME, clusterDown, clusterUp, nodeName } from "../runtime/local-cluster.js";
import { parseCount } from "../sim/params.js";
import { grid } from "../sim/report.js";
import { commanderParser, durabilityOption } from "./flags.js";
import { toJsonLine } from "./sim-command.js";
import { stopOnSignal } from "./stop-on-signal.js";

export const DEFAULT_DIR = ".selfman";
export const DEFAULT_BASE_PORT = 7000;

export function addClusterCommand(program: Command): void {
  const cluster = program.command("cluster").description("cluster certificates and a local cluster");
  cluster
    .command("init")
    .description("create the cluster CA and node certificates (keeps what is already there)")
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--nodes <n>",
      "certificates node-1 … node-N (and one for tools: client)",
      commanderParser(parseCount("nodes", 1, 1000)),
      8,
    )
    .action(async (flags: { dir: string; nodes: number }) => {
      const names = [...Array.from({ length: flags.nodes }, (_, i) => nodeName(i + 1)), CLIENT_NAME];
      const issued = await initClusterDir(flags.dir, "selfman", names);
      process.stdout.write(
        `cluster directory ${flags.dir}: CA in ca.crt, ${issued.length} new certificate(s) in certs/` +
          `${issued.length > 0 ? ` (${issued.join(", ")})` : ""}\n`,
      );
    });
  durabilityOption(cluster.command("up"))
    .description("start N local node processes, one after another, each a ring member before the next")
    .option("--nodes <n>", "how many nodes", commanderParser(parseCount("nodes", 1, 99)), 8)
    .option(
      "--base-port <p>",
      "node i listens on P+i, its admin port is P+100+i",
      commanderParser(parseCount("base-port", 1, 65_000)),
      DEFAULT_BASE_PORT,
    )
    .option("--dir <dir>", "cluster directory (certificates, node data, logs)", DEFAULT_DIR)
    .option("--insecure", "plain TCP without certificates: for local experiments only")
    .option("--json", "print the cluster as one JSON line")
    .action(
      async (flags: {
        nodes: number;
        basePort: number;
        dir: string;
        insecure?: boolean;
        durability: Durability;
        json?: boolean;
      }) => {
        const stop = stopOnSignal();
        let file: Awaited<ReturnType<typeof clusterUp>>;
        try {
          file = await clusterUp({
            dir: flags.dir,
            nodes: flags.nodes,
            basePort: flags.basePort,
            insecure: flags.insecure === true,
            durability: flags.durability,
            onNode: (node) => process.stderr.write(`  ${node.name} is a ring member (${node.listen})\n`),
            signal: stop.signal,
          });
        } catch (error) {
          if (!stop.signal.aborted) throw error;
          process.stderr.write(`selfman: ${stop.received} during start-up: the nodes started are stopped\n`);
          process.exitCode = stop.exitCode;
          return;
        } finally {
          stop.dispose();
        }
        if (flags.json === true) {
          process.stdout.write(`${toJsonLine(file)}\n`);
          return;
        }
        process.stdout.write(
          `${grid(file.nodes.map((n) => ({ node: n.name, listen: n.listen, admin: n.admin, pid: n.pid, log: n.log })))}\n` +
            `stop with: selfman cluster down --dir ${flags.dir}\n`,
        );
      },
    );
  cluster
    .command("down")
    .description(
      "stop the local cluster in place (SIGUSR2, then SIGKILL after 10 s); data stays for the next start",
    )
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .action(async (flags: { dir: string }) => {
      const stopped = await clusterDown(flags.dir);
      process.stdout.write(
        stopped === 0 ? `no cluster running in ${flags.dir}\n` : `stopped ${stopped} node(s)\n`,
      );
    });
}
