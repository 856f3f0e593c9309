// `selfman node`: one node of a real deployment. It listens for its peers (TLS with the cluster's
// certificates, or plain TCP behind --insecure), joins through --join or starts a new ring, serves its
// API port; on SIGTERM or SIGINT it leaves gracefully (hands over, tells its neighbours) and exits 0,
// on SIGUSR2 it stops in place (the whole cluster is stopping: its data stays for the next start). On
// a broken invariant it stops at once and exits 70 (fail-stop, runtime/fail-stop.ts); with
// --supervise it runs under a supervisor that restarts it then (runtime/node-supervisor.ts), and stops
// in place if that supervisor dies (docs/live-runtime.md §4). With --nodes-per-process K the process
// hosts K ring nodes (runtime/node-host.ts, docs/live-runtime.md §7): the signals and the fail-stop exit
// apply to all of them, and the API serves through any of them that is a ring member (docs/api.md §1).
import path from "node:path";
import type { Command } from "commander";
import type { Logger } from "pino";
import { type ApiLimits, DEFAULT_LIMITS } from "../api/api-limits.js";
import { ApiConfigError, startApiServer } from "../api/api-server.js";
import { PACKAGE_VERSION } from "../api/package-version.js";
import type { RingId } from "../core/id-space.js";
import { type HostedTls, loadHostedTls } from "../runtime/cluster-certificates.js";
import type { Durability } from "../runtime/durability.js";
import { FAIL_STOP_EXIT_CODE, plantViolationOnSignal } from "../runtime/fail-stop.js";
import { loadRoutes } from "../runtime/load-routes.js";
import { createLogger } from "../runtime/logger.js";
import { NodeHost } from "../runtime/node-host.js";
import { DEFAULT_RESTART, onSupervisorGone, superviseNode } from "../runtime/node-supervisor.js";
import { parseCount } from "../sim/params.js";
import { DEFAULT_STORE } from "../store/store-config.js";
import { DASHBOARD_PATHS, dashboardAsset } from "../web/dashboard-assets.js";
import {
  type Address,
  commanderParser,
  durabilityOption,
  formatAddress,
  parseAddress,
  parseNodeName,
  parseRingId,
} from "./flags.js";

interface NodeFlags {
  listen: Address;
  join?: Address;
  dataDir: string;
  id?: RingId;
  clusterDir: string;
  name?: string;
  admin?: Address;
  authFile?: string;
  insecure?: boolean;
  supervise?: boolean;
  rejoin?: Address;
  nodesPerProcess: number;
  durability: Durability;
  apiHeaderTimeoutMs?: number;
  apiRequestTimeoutMs?: number;
}

/** The API limits the flags set (docs/api.md §6); the others keep their defaults. */
function apiLimits(flags: NodeFlags): Partial<ApiLimits> {
  return {
    ...(flags.apiHeaderTimeoutMs === undefined ? {} : { headersTimeoutMs: flags.apiHeaderTimeoutMs }),
    ...(flags.apiRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: flags.apiRequestTimeoutMs }),
  };
}

/** The API port when --api is not given: loopback, the listen port + 1000. */
function defaultAdmin(listen: Address): Address {
  return { host: "127.0.0.1", port: listen.port + 1000 };
}

export function addNodeCommand(program: Command): void {
  durabilityOption(program.command("node"))
    .description("run one node: listen for peers, join a ring (or start one), serve the admin port")
    .requiredOption(
      "--listen <host:port>",
      "where peers reach this node",
      commanderParser(parseAddress("listen")),
    )
    .option(
      "--join <host:port>",
      "a member to join through (omit to start a new ring)",
      commanderParser(parseAddress("join")),
    )
    .requiredOption("--data-dir <dir>", "where the node keeps its name, ring id and data (node.json, store/)")
    .option(
      "--id <ring id>",
      "the ring id of a node new to --data-dir (decimal or 0x-hex, below 2^128; default random); a kept node keeps its own",
      commanderParser(parseRingId),
    )
    .option("--cluster-dir <dir>", "the cluster's certificates (selfman cluster init)", ".selfman")
    .option(
      "--name <name>",
      "this node's name, as its certificate says (default: the data dir's name)",
      commanderParser(parseNodeName),
    )
    .option(
      "--api <host:port>",
      "the HTTP API: /v1, Scalaris JSON-RPC, /metrics (default 127.0.0.1:<listen port + 1000>)",
      commanderParser(parseAddress("api")),
    )
    .option(
      "--auth-file <file>",
      "bearer tokens (selfman token create --auth-file FILE); required to serve the API off loopback",
    )
    .option("--insecure", "plain TCP without certificates: for local experiments only")
    .option(
      "--supervise",
      `restart the node (from its data dir, with a bounded back-off) when it exits ${FAIL_STOP_EXIT_CODE} on a broken invariant`,
    )
    .option(
      "--rejoin <host:port>",
      "with --supervise: the member a restarted node joins through (default: --join)",
      commanderParser(parseAddress("rejoin")),
    )
    .option(
      "--nodes-per-process <k>",
      "ring nodes this process hosts: the first as named here, the others <name>.2, <name>.3, … on OS-chosen ports",
      commanderParser(parseCount("nodes-per-process", 1, 64)),
      1,
    )
    .option(
      "--api-header-timeout-ms <ms>",
      `a request's header must arrive within this, or the API answers 408 and closes (default ${DEFAULT_LIMITS.headersTimeoutMs})`,
      commanderParser(parseCount("api-header-timeout-ms", 100, 3_600_000)),
    )
    .option(
      "--api-request-timeout-ms <ms>",
      `a whole request (header and body) must arrive within this, or the API answers 408 and closes; at least the header timeout (default ${DEFAULT_LIMITS.requestTimeoutMs})`,
      commanderParser(parseCount("api-request-timeout-ms", 100, 3_600_000)),
    )
    .action(async (flags: NodeFlags & { api?: Address }) => {
      if (flags.api !== undefined) flags.admin = flags.api;
      const name = flags.name ?? parseNodeName(path.basename(path.resolve(flags.dataDir)));
      const logger = createLogger(name);
      const admin = flags.admin ?? defaultAdmin(flags.listen);
      if (flags.supervise === true) await supervise(flags, name, admin, logger);
      else await runNode(flags, name, admin, logger);
    });
}

/** The command line of this node without supervision, joining through `join`. */
function nodeArgs(flags: NodeFlags, name: string, admin: Address, join: Address | undefined): string[] {
  return [
    ...process.execArgv,
    process.argv[1] ?? "selfman",
    "node",
    "--name",
    name,
    "--listen",
    formatAddress(flags.listen),
    "--api",
    formatAddress(admin),
    ...(flags.authFile === undefined ? [] : ["--auth-file", flags.authFile]),
    "--data-dir",
    flags.dataDir,
    ...(flags.id === undefined ? [] : ["--id", flags.id.toString()]),
    "--nodes-per-process",
    String(flags.nodesPerProcess),
    "--durability",
    flags.durability,
    ...(flags.insecure === true ? ["--insecure"] : ["--cluster-dir", flags.clusterDir]),
    ...(join === undefined ? [] : ["--join", formatAddress(join)]),
    ...(flags.apiHeaderTimeoutMs === undefined
      ? []
      : ["--api-header-timeout-ms", String(flags.apiHeaderTimeoutMs)]),
    ...(flags.apiRequestTimeoutMs === undefined
      ? []
      : ["--api-request-timeout-ms", String(flags.apiRequestTimeoutMs)]),
  ];
}

/** Runs the node as a child process, restarting it after each fail-stop; exits as it ends. */
async function supervise(flags: NodeFlags, name: string, admin: Address, logger: Logger): Promise<void> {
  const code = await superviseNode(
    {
      command: process.execPath,
      args: nodeArgs(flags, name, admin, flags.join),
      restartArgs: nodeArgs(flags, name, admin, flags.rejoin ?? flags.join),
    },
    DEFAULT_RESTART,
    logger.child({ role: "supervisor" }),
  );
  process.exit(code);
}

async function runNode(flags: NodeFlags, name: string, admin: Address, logger: Logger): Promise<void> {
  // A supervisor that dies (even by kill -9) must not leave its node holding the ports: before the node
  // serves, exit at once; after, stop in place like SIGUSR2 (below).
  let supervisorGone: () => void = () => {
    logger.warn("the supervisor is gone: exiting before serving");
    process.exit(1);
  };
  onSupervisorGone(() => supervisorGone());
  if (flags.insecure === true)
    logger.warn("--insecure: plain TCP, no authentication; for local experiments only");
  const tlsFor = (hosted: string): Promise<HostedTls | null> =>
    flags.insecure === true ? Promise.resolve(null) : loadHostedTls(flags.clusterDir, name, hosted);
  const host = await NodeHost.start({
    name,
    host: flags.listen.host,
    port: flags.listen.port,
    join: flags.join === undefined ? null : formatAddress(flags.join),
    dataDir: flags.dataDir,
    ...(flags.id === undefined ? {} : { firstId: flags.id }),
    count: flags.nodesPerProcess,
    durability: flags.durability,
    tlsFor,
    logger,
    // one hosted node's broken invariant ends the process: its supervisor restarts all of them
    onFailStop: () => process.exit(FAIL_STOP_EXIT_CODE),
  });
  const first = host.live()[0];
  if (first !== undefined) plantViolationOnSignal(first, logger);
  let api: Awaited<ReturnType<typeof startApiServer>>;
  try {
    api = await startApiServer({
      nodes: host,
      host: admin.host,
      port: admin.port,
      authFile: flags.authFile ?? null,
      limits: apiLimits(flags),
      version: PACKAGE_VERSION,
      replication: DEFAULT_STORE.replication,
      logger,
      bench: loadRoutes(() => host.lead()),
      web: { paths: DASHBOARD_PATHS, get: dashboardAsset },
    });
  } catch (error) {
    if (!(error instanceof ApiConfigError)) throw error;
    process.stderr.write(`selfman: ${error.message}\n`);
    await host.stop();
    process.exit(2);
  }
  const KIND = { started: "node-up", killed: "crash", shutdown: "node-down", "fail-stop": "crash" } as const;
  host.onChange((change) => api.feed.publish(KIND[change.kind], change.name, { how: change.kind }));
  logger.info({ listen: host.live().map((node) => node.self.addr), api: formatAddress(admin) }, "serving");
  let stopping = false;
  // SIGTERM/SIGINT: leave the ring (the successor gets every item). SIGUSR2: stop in place, the
  // whole cluster is going down — keep the ranges and the data for the next start.
  const shutdown = (signal: string, how: "leave" | "stop") => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, how === "leave" ? "leaving the ring" : "stopping in place");
    (how === "leave" ? host.leave() : host.stop())
      .then(() => {
        return api.close();
      })
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM", "leave"));
  process.on("SIGINT", () => shutdown("SIGINT", "leave"));
  process.on("SIGUSR2", () => shutdown("SIGUSR2", "stop"));
  supervisorGone = () => {
    logger.warn("the supervisor is gone: nobody would restart this node, so it stops in place");
    shutdown("supervisor gone", "stop");
  };
}
