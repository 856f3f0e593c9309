// `selfman start` (what `npm start` runs): a local cluster of node processes — 8 unless told
// otherwise — behind two front ports (docs/live-runtime.md §7.1): 127.0.0.1:8000, where JSON-RPC
// clients look, and 127.0.0.1:8080, the HTTP API; each forwards a connection to a node's API port.
// Ctrl-C (or SIGTERM) stops everything cleanly: the nodes stop in place (their data stays for the next
// start), the ports close, the command exits 0. The handler is in place before the first node starts:
// a Ctrl-C during start-up stops the nodes already started (docs/live-runtime.md §5).
import type { Command } from "commander";
import type { Durability } from "../runtime/durability.js";
import { FrontPort } from "../runtime/front-port.js";
import { type ClusterFile, clusterDown, clusterUp, watchClusterAdmins } from "../runtime/local-cluster.js";
import { parseCount } from "../sim/params.js";
import { startPageServer } from "../web/page-server.js";
import { DEFAULT_BASE_PORT, DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser, durabilityOption } from "./flags.js";
import { type StopRequest, stopOnSignal } from "./stop-on-signal.js";

interface StartFlags {
  nodes: number;
  dir: string;
  basePort: number;
  rpcPort: number;
  port: number;
  pagePort: number;
  durability: Durability;
}

const HOST = "127.0.0.1";
/** How often the front ports' backends are re-read from cluster.json. */
const BACKENDS_REFRESH_MS = 2000;

/** What runs in front of the cluster, closed together. */
interface Fronts {
  readonly rpc: FrontPort;
  readonly api: FrontPort;
  readonly page: Awaited<ReturnType<typeof startPageServer>>;
  readonly stopWatching: () => void;
}

const portOption = (flag: string) => commanderParser(parseCount(flag, 1, 65_535));

export function addStartCommand(program: Command): void {
  durabilityOption(program.command("start"))
    .description("the main job: a local cluster behind its front ports; Ctrl-C stops everything")
    .option("--nodes <n>", "how many nodes", commanderParser(parseCount("nodes", 1, 99)), 8)
    .option("--dir <dir>", "cluster directory (certificates, node data, logs)", DEFAULT_DIR)
    .option(
      "--base-port <p>",
      "node i listens on P+i, its API (admin) port is P+100+i",
      commanderParser(parseCount("base-port", 1, 65_000)),
      DEFAULT_BASE_PORT,
    )
    .option("--rpc-port <p>", "front port for JSON-RPC clients", portOption("rpc-port"), 8000)
    .option("--port <p>", "front port for the HTTP API", portOption("port"), 8080)
    .option(
      "--page-port <p>",
      "the dashboard's own page server (it surveys the nodes itself)",
      portOption("page-port"),
      8081,
    )
    .action(async (flags: StartFlags) => {
      const stop = stopOnSignal();
      try {
        await runCluster(flags, stop);
      } finally {
        stop.dispose();
      }
    });
}

/**
 * The front ports and the page server. Both fronts forward each connection to a live node's API port;
 * the page server serves the dashboard and surveys the nodes itself (docs/dashboard.md §1).
 */
async function startFronts(flags: StartFlags, cluster: ClusterFile): Promise<Fronts> {
  const watch = watchClusterAdmins(
    flags.dir,
    cluster.nodes.map((n) => n.admin),
    BACKENDS_REFRESH_MS,
  );
  const started: { close: () => Promise<void> }[] = [];
  try {
    const rpc = await FrontPort.start({ host: HOST, port: flags.rpcPort, backends: watch.admins });
    started.push(rpc);
    const api = await FrontPort.start({ host: HOST, port: flags.port, backends: watch.admins });
    started.push(api);
    const page = await startPageServer(HOST, flags.pagePort, async () => watch.admins());
    return { rpc, api, page, stopWatching: watch.stop };
  } catch (error) {
    watch.stop();
    await Promise.all(started.map((front) => front.close()));
    throw error;
  }
}

async function closeFronts(fronts: Fronts): Promise<void> {
  fronts.stopWatching();
  fronts.page.closeAllConnections();
  await Promise.all([
    fronts.rpc.close(),
    fronts.api.close(),
    new Promise<void>((resolve) => fronts.page.close(() => resolve())),
  ]);
}

/** Every URL of the running cluster, one a line. */
function urls(flags: StartFlags, cluster: ClusterFile): string {
  const nodes = cluster.nodes.map((n) => `  ${n.name}: http://${n.admin} (peers at ${n.listen})\n`);
  return (
    `selfman: ${cluster.nodes.length} nodes running\n` +
    `  JSON-RPC front: http://${HOST}:${flags.rpcPort}   (Scalaris's clients: /api/tx.yaws, /jsonrpc.yaws, …)\n` +
    `  dashboard:      http://${HOST}:${flags.port}/   (and the API: /v1, /v1/openapi.json, /metrics)\n` +
    `  dashboard also: http://${HOST}:${flags.pagePort}/   (its own page server)\n` +
    nodes.join("") +
    `  selfman ring --dir ${flags.dir}      selfman lookup KEY --dir ${flags.dir}\n` +
    "  Ctrl-C stops everything\n"
  );
}

async function runCluster(flags: StartFlags, stop: StopRequest): Promise<void> {
  process.stderr.write(`selfman: starting ${flags.nodes} nodes in ${flags.dir} …\n`);
  let cluster: ClusterFile;
  try {
    cluster = await clusterUp({
      dir: flags.dir,
      nodes: flags.nodes,
      basePort: flags.basePort,
      insecure: false,
      durability: flags.durability,
      onNode: (node) => process.stderr.write(`  ${node.name} joined (${node.listen}, API ${node.admin})\n`),
      signal: stop.signal,
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    // clusterUp stopped the nodes it had started
    process.stderr.write("selfman: stopped during start-up; data stays for the next start\n");
    return;
  }
  let fronts: Fronts;
  try {
    fronts = await startFronts(flags, cluster);
  } catch (error) {
    await clusterDown(flags.dir);
    throw error;
  }
  if (!stop.signal.aborted) process.stdout.write(urls(flags, cluster));
  await stop.requested;
  process.stderr.write("selfman: stopping (each node keeps its data for the next start) …\n");
  await closeFronts(fronts);
  const stopped = await clusterDown(flags.dir);
  process.stderr.write(`selfman: stopped ${stopped} node(s); data stays in ${flags.dir}\n`);
}
