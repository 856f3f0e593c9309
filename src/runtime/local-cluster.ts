// A cluster of node processes on this machine (`selfman cluster up|down`, `npm start`). Node i listens
// on 127.0.0.1:(basePort+i) and serves its admin port on basePort+100+i; its data and log live in
// DIR/nodes/node-i. Nodes start one after another, each joining through node-1 and becoming a ring
// member before the next starts. DIR/cluster.json says what runs where, for `down`, `ring`, `lookup`.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fetchNodeStatus } from "./admin-client.js";
import { initClusterDir } from "./cluster-certificates.js";

const SELFMAN_BIN = fileURLToPath(new URL("../../bin/selfman", import.meta.url));
/** A node must become a ring member within this, or `up` fails and says where its log is. */
const MEMBER_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** The certificate tools like the fuzzing test and `selfman bench` use to talk to the nodes. */
export const CLIENT_NAME = "client";

export interface ClusterNode {
  readonly name: string;
  readonly pid: number;
  readonly listen: string;
  readonly admin: string;
  readonly dataDir: string;
  readonly log: string;
}

export interface ClusterFile {
  readonly dir: string;
  readonly basePort: number;
  readonly insecure: boolean;
  readonly nodes: readonly ClusterNode[];
}

export interface ClusterUpOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly basePort: number;
  readonly insecure: boolean;
  /** Called as each node becomes a member (progress for the CLI). */
  readonly onNode?: (node: ClusterNode) => void;
}

const clusterFile = (dir: string) => path.join(dir, "cluster.json");

export async function readClusterFile(dir: string): Promise<ClusterFile | null> {
  const text = await readFile(clusterFile(dir), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as ClusterFile);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function nodeName(i: number): string {
  return `node-${i}`;
}

/** Starts one node process, detached, its output appended to its log file. */
export function spawnNode(args: {
  name: string;
  listen: string;
  admin: string;
  join: string | null;
  dataDir: string;
  clusterDir: string;
  insecure: boolean;
  log: string;
}): ChildProcess {
  const out = openSync(args.log, "a");
  const argv = [
    SELFMAN_BIN,
    "node",
    "--name",
    args.name,
    "--listen",
    args.listen,
    "--admin",
    args.admin,
    "--data-dir",
    args.dataDir,
    ...(args.insecure ? ["--insecure"] : ["--cluster-dir", args.clusterDir]),
    ...(args.join === null ? [] : ["--join", args.join]),
  ];
  const child = spawn(process.execPath, argv, { detached: true, stdio: ["ignore", out, out] });
  child.unref();
  return child;
}

/** Waits until the node at `admin` says it is a ring member; fails early if its process exits. */
export async function waitForMember(
  admin: string,
  child: ChildProcess | null,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child !== null && child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const status = await fetchNodeStatus(admin, 1000).catch(() => null);
    if (status?.member === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not a ring member within ${timeoutMs} ms`);
}

export async function clusterUp(options: ClusterUpOptions): Promise<ClusterFile> {
  const { dir, nodes: count, basePort, insecure } = options;
  const running = await readClusterFile(dir);
  if (running?.nodes.some((n) => isRunning(n.pid)))
    throw new Error(
      `a cluster is already running in ${dir}; stop it with \`selfman cluster down --dir ${dir}\``,
    );
  const names = Array.from({ length: count }, (_, i) => nodeName(i + 1));
  if (!insecure) await initClusterDir(dir, "selfman", [...names, CLIENT_NAME]);
  const started: ClusterNode[] = [];
  const file = (): ClusterFile => ({ dir: path.resolve(dir), basePort, insecure, nodes: started });
  try {
    for (let i = 1; i <= count; i++) {
      const name = nodeName(i);
      const dataDir = path.join(dir, "nodes", name);
      await mkdir(dataDir, { recursive: true });
      const node: Omit<ClusterNode, "pid"> = {
        name,
        listen: `127.0.0.1:${basePort + i}`,
        admin: `127.0.0.1:${basePort + 100 + i}`,
        dataDir,
        log: path.join(dataDir, "node.log"),
      };
      const child = spawnNode({
        ...node,
        join: i === 1 ? null : `127.0.0.1:${basePort + 1}`,
        clusterDir: dir,
        insecure,
      });
      const entry = { ...node, pid: child.pid ?? -1 };
      started.push(entry);
      await writeFile(clusterFile(dir), `${JSON.stringify(file(), null, 2)}\n`);
      await waitForMember(node.admin, child, MEMBER_TIMEOUT_MS).catch((error: unknown) => {
        throw new Error(
          `${name} did not start (see ${node.log}): ${error instanceof Error ? error.message : error}`,
        );
      });
      options.onNode?.(entry);
    }
  } catch (error) {
    await stopNodes(started);
    await rm(clusterFile(dir), { force: true });
    throw error;
  }
  return file();
}

/**
 * SIGUSR2 to every node — stop in place: the whole cluster is going down, so nobody hands its data
 * around; each keeps its ranges on disk for the next start — then SIGKILL to those still there after
 * STOP_TIMEOUT_MS.
 */
export async function stopNodes(nodes: readonly ClusterNode[]): Promise<void> {
  for (const node of nodes) if (isRunning(node.pid)) process.kill(node.pid, "SIGUSR2");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (nodes.some((n) => isRunning(n.pid)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  for (const node of nodes) if (isRunning(node.pid)) process.kill(node.pid, "SIGKILL");
}

/** Stops the cluster in `dir`; its data stays. Returns how many node processes were running. */
export async function clusterDown(dir: string): Promise<number> {
  const file = await readClusterFile(dir);
  if (file === null) return 0;
  const running = file.nodes.filter((n) => isRunning(n.pid));
  await stopNodes(file.nodes);
  await rm(clusterFile(dir), { force: true });
  return running.length;
}
