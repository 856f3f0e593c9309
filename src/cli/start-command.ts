// `selfman start` (what `npm start` runs): a local cluster of node processes — 8 unless told
// otherwise — and the status page on http://127.0.0.1:8080 that draws the ring. Ctrl-C (or SIGTERM)
// stops everything cleanly: the nodes stop in place (their data stays for the next start), the page
// closes, the command exits 0. The handler is in place before the first node starts: a Ctrl-C during
// start-up stops the nodes already started (docs/live-runtime.md §5).
import type { Command } from "commander";
import { clusterDown, clusterUp } from "../runtime/local-cluster.js";
import { parseCount } from "../sim/params.js";
import { startStatusPage } from "../web/status-page.js";
import { DEFAULT_BASE_PORT, DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser } from "./flags.js";
import { type StopRequest, stopOnSignal } from "./stop-on-signal.js";

export function addStartCommand(program: Command): void {
  program
    .command("start")
    .description("the main job: a local cluster and its status page; Ctrl-C stops everything")
    .option("--nodes <n>", "how many nodes", commanderParser(parseCount("nodes", 1, 99)), 8)
    .option("--dir <dir>", "cluster directory (certificates, node data, logs)", DEFAULT_DIR)
    .option(
      "--base-port <p>",
      "node i listens on P+i, its admin port is P+100+i",
      commanderParser(parseCount("base-port", 1, 65_000)),
      DEFAULT_BASE_PORT,
    )
    .option("--port <p>", "the status page's port", commanderParser(parseCount("port", 1, 65_535)), 8080)
    .action(async (flags: { nodes: number; dir: string; basePort: number; port: number }) => {
      const stop = stopOnSignal();
      try {
        await runCluster(flags, stop);
      } finally {
        stop.dispose();
      }
    });
}

async function runCluster(
  flags: { nodes: number; dir: string; basePort: number; port: number },
  stop: StopRequest,
): Promise<void> {
  process.stderr.write(`selfman: starting ${flags.nodes} nodes in ${flags.dir} …\n`);
  let cluster: Awaited<ReturnType<typeof clusterUp>>;
  try {
    cluster = await clusterUp({
      dir: flags.dir,
      nodes: flags.nodes,
      basePort: flags.basePort,
      insecure: false,
      onNode: (node) => process.stderr.write(`  ${node.name} joined (${node.listen}, admin ${node.admin})\n`),
      signal: stop.signal,
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    // clusterUp stopped the nodes it had started
    process.stderr.write("selfman: stopped during start-up; data stays for the next start\n");
    return;
  }
  const admins = cluster.nodes.map((n) => n.admin);
  let page: Awaited<ReturnType<typeof startStatusPage>>;
  try {
    page = await startStatusPage("127.0.0.1", flags.port, async () => admins);
  } catch (error) {
    await clusterDown(flags.dir);
    throw error;
  }
  if (!stop.signal.aborted)
    process.stdout.write(
      `selfman: ${flags.nodes} nodes running; the ring is at http://127.0.0.1:${flags.port}\n` +
        `  selfman ring --dir ${flags.dir}      selfman lookup KEY --dir ${flags.dir}\n` +
        "  Ctrl-C stops everything\n",
    );
  await stop.requested;
  process.stderr.write("selfman: stopping (each node keeps its data for the next start) …\n");
  page.closeAllConnections();
  await new Promise<void>((resolve) => page.close(() => resolve()));
  const stopped = await clusterDown(flags.dir);
  process.stderr.write(`selfman: stopped ${stopped} node(s); data stays in ${flags.dir}\n`);
}
