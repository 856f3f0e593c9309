// A cluster of node processes on this machine (`selfman cluster up|down`, `npm start`,
// docs/live-runtime.md §5). Node i listens on 127.0.0.1:(basePort+i) and serves its admin port on
// basePort+100+i; its data and log live in DIR/nodes/node-i. Nodes start one after another, each
// joining through node-1 and becoming a ring member before the next starts. Each runs under its own
// supervisor (`selfman node --supervise`, node-supervisor.ts), which restarts it after a fail-stop —
// node-1 then rejoins through node-2. DIR/cluster.json says what runs where, for `down`, `ring`, `lookup`.
// A supervisor leads a process group of its own, which its node joins: `down` signals that group,
// never a recorded node pid, which a restart makes stale and the OS may give to another process.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { openSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IdSpace, type RingId } from "../core/id-space.js";
import { fetchNodeStatus } from "./admin-client.js";
import { initClusterDir } from "./cluster-certificates.js";
import { DEFAULT_DURABILITY, type Durability } from "./durability.js";
import type { NodeStatus } from "./node-status.js";

/** The live runtime's id space (128-bit ids). */
const IDS = new IdSpace();
const SELFMAN_BIN = fileURLToPath(new URL("../../bin/selfman", import.meta.url));
/** A node must become a ring member within this, or `up` fails and says where its log is. */
const MEMBER_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** After SIGKILL: how long `down` waits for the groups to be gone (their ports free) before it returns. */
const KILL_TIMEOUT_MS = 5_000;
/** The certificate tools like the fuzzing test and `selfman bench` use to talk to the nodes. */
export const CLIENT_NAME = "client";

export interface ClusterNode {
  readonly name: string;
  /**
   * The node process as it first started: for people and tests reading the file. A restart after a
   * fail-stop gets a new one (the node's /status says which), so `down` never signals this pid.
   */
  readonly pid: number;
  /**
   * Its supervisor, which leads the process group the node runs in: `down` signals that group. The
   * group outlives the supervisor as long as the node runs.
   */
  readonly supervisorPid: number;
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

interface ClusterUpOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly basePort: number;
  readonly insecure: boolean;
  /** Every node's store durability (default `sync`, docs/architecture.md §5). */
  readonly durability?: Durability;
  /** Called as each node becomes a member (progress for the CLI). */
  readonly onNode?: (node: ClusterNode) => void;
  /**
   * Aborting it (a Ctrl-C during start-up) stops the nodes already started, removes cluster.json, and
   * makes clusterUp reject with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

const clusterFile = (dir: string) => path.join(dir, "cluster.json");

export async function readClusterFile(dir: string): Promise<ClusterFile | null> {
  const text = await readFile(clusterFile(dir), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as ClusterFile);
}

/** Whether process `pid` exists (a pid of 0 or below is none: it would name a group). */
export function isRunning(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the process group `pgid` — a supervisor and its node — still has a process in it. A group
 * outlives its leader (a node whose supervisor died is still in it), and POSIX gives its id to no new
 * process while any member lives. So if the leader's pid names a running process that is not ours (on
 * Linux, /proc says its command line does not name selfman), that pid was reused after our group
 * ended, and the group found is someone else's: not up. A group we may not signal is not ours either.
 */
export function isGroupRunning(pgid: number): boolean {
  if (!(pgid > 0)) return false;
  try {
    process.kill(-pgid, 0);
  } catch {
    return false; // ESRCH: no such group; EPERM: someone else's
  }
  return leaderMayBeOurs(pgid);
}

/** False only if /proc shows `pid` running a command that is not selfman (a zombie shows none). */
function leaderMayBeOurs(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return true; // the leader is gone (its group lives on), or no /proc to ask
  }
  return cmdline === "" || cmdline.includes("selfman");
}

/** Sends `signal` to every process of group `pgid` if it is still one of ours; false if it was gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!isGroupRunning(pgid)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // it ended in between
  }
}

export function nodeName(i: number): string {
  return `node-${i}`;
}

/**
 * Starts one node under its supervisor, detached (the supervisor leads a process group of its own),
 * their output appended to the node's log file.
 */
function spawnNode(args: {
  name: string;
  listen: string;
  admin: string;
  join: string | null;
  /** Where a restarted node joins (node-1, which started the ring, rejoins through another). */
  rejoin: string | null;
  dataDir: string;
  /** Its ring id if its data directory is new. */
  id: RingId;
  clusterDir: string;
  insecure: boolean;
  durability: Durability;
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
    "--api",
    args.admin,
    "--data-dir",
    args.dataDir,
    "--id",
    args.id.toString(),
    ...(args.insecure ? ["--insecure"] : ["--cluster-dir", args.clusterDir]),
    "--durability",
    args.durability,
    ...(args.join === null ? [] : ["--join", args.join]),
    "--supervise",
    ...(args.rejoin === null ? [] : ["--rejoin", args.rejoin]),
  ];
  const child = spawn(process.execPath, argv, { detached: true, stdio: ["ignore", out, out] });
  child.unref();
  return child;
}

/**
 * Waits until the node at `admin` says it is a ring member, and returns its status; fails early if
 * its process exits or `signal` is aborted, or with the last error if the deadline passes.
 */
export async function waitForMember(
  admin: string,
  child: ChildProcess | null,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<NodeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (child !== null && child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const status = await fetchNodeStatus(admin, 1000).catch((error: unknown) => {
      last = error instanceof Error ? error.message : String(error);
      return null;
    });
    if (status?.member === true) return status;
    if (status !== null) last = "not a member yet";
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not a ring member within ${timeoutMs} ms (${last})`);
}

/** Whether the node or its supervisor still runs: their process group (never the recorded node pid). */
function isUp(node: ClusterNode): boolean {
  return isGroupRunning(node.supervisorPid);
}

/**
 * Node i of n (1-based) at offset + (i - 1)·N/n. Evenly spaced, no range is wider than N/n; with eight
 * or more nodes none is wider than N/4 even after a crash, so no node holds two of a key's four replicas
 * and one crash costs each key one replica at most (docs/live-runtime.md §5). The offset is random per
 * cluster, so that two clusters meant to merge do not put their nodes on the same ids.
 */
export function evenlySpacedId(i: number, n: number, offset: RingId): RingId {
  return IDS.add(offset, (IDS.size * BigInt(i - 1)) / BigInt(n));
}

/** A uniformly random ring id: the offset of a new cluster's evenly spaced nodes. */
function randomOffset(): RingId {
  return BigInt(`0x${randomBytes(16).toString("hex")}`) & IDS.mask;
}

export async function clusterUp(options: ClusterUpOptions): Promise<ClusterFile> {
  const { dir, nodes: count, basePort, insecure } = options;
  const running = await readClusterFile(dir);
  if (running?.nodes.some(isUp))
    throw new Error(
      `a cluster is already running in ${dir}; stop it with \`selfman cluster down --dir ${dir}\``,
    );
  const names = Array.from({ length: count }, (_, i) => nodeName(i + 1));
  if (!insecure) await initClusterDir(dir, "selfman", [...names, CLIENT_NAME]);
  const started: ClusterNode[] = [];
  const offset = randomOffset();
  const file = (): ClusterFile => ({ dir: path.resolve(dir), basePort, insecure, nodes: started });
  try {
    for (let i = 1; i <= count; i++) {
      options.signal?.throwIfAborted();
      const name = nodeName(i);
      const dataDir = path.join(dir, "nodes", name);
      await mkdir(dataDir, { recursive: true });
      const node: Omit<ClusterNode, "pid" | "supervisorPid"> = {
        name,
        listen: `127.0.0.1:${basePort + i}`,
        admin: `127.0.0.1:${basePort + 100 + i}`,
        dataDir,
        log: path.join(dataDir, "node.log"),
      };
      const child = spawnNode({
        ...node,
        id: evenlySpacedId(i, count, offset),
        join: i === 1 ? null : `127.0.0.1:${basePort + 1}`,
        rejoin: i === 1 && count > 1 ? `127.0.0.1:${basePort + 2}` : null,
        clusterDir: dir,
        insecure,
        durability: options.durability ?? DEFAULT_DURABILITY,
      });
      const supervisorPid = child.pid ?? -1;
      started.push({ ...node, pid: -1, supervisorPid });
      await writeFile(clusterFile(dir), `${JSON.stringify(file(), null, 2)}\n`);
      const status = await waitForMember(node.admin, child, MEMBER_TIMEOUT_MS, options.signal).catch(
        (error: unknown) => {
          if (options.signal?.aborted === true) throw error;
          throw new Error(
            `${name} did not start (see ${node.log}): ${error instanceof Error ? error.message : error}`,
          );
        },
      );
      const entry: ClusterNode = { ...node, pid: status.pid, supervisorPid };
      started[started.length - 1] = entry;
      await writeFile(clusterFile(dir), `${JSON.stringify(file(), null, 2)}\n`);
      options.onNode?.(entry);
    }
  } catch (error) {
    await stopNodes(started);
    await rm(clusterFile(dir), { force: true });
    throw error;
  }
  return file();
}

/** Polls until no node's group runs, or `timeoutMs` passed; whether they are all gone. */
async function waitUntilDown(nodes: readonly ClusterNode[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (nodes.some(isUp)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * SIGUSR2 to every node's process group — stop in place: the whole cluster is going down, so nobody
 * hands its data around; each keeps its ranges on disk for the next start. The node gets it whether
 * or not its supervisor still runs (the supervisor passes it on too; a node stops once). Then SIGKILL
 * to the groups still there after STOP_TIMEOUT_MS, and a wait until they are gone.
 */
async function stopNodes(nodes: readonly ClusterNode[]): Promise<void> {
  for (const node of nodes) signalGroup(node.supervisorPid, "SIGUSR2");
  if (await waitUntilDown(nodes, STOP_TIMEOUT_MS)) return;
  for (const node of nodes) signalGroup(node.supervisorPid, "SIGKILL");
  await waitUntilDown(nodes, KILL_TIMEOUT_MS);
}

/** Stops the cluster in `dir`; its data stays. Returns how many node processes were running. */
export async function clusterDown(dir: string): Promise<number> {
  const file = await readClusterFile(dir);
  if (file === null) return 0;
  const running = file.nodes.filter(isUp);
  await stopNodes(file.nodes);
  await rm(clusterFile(dir), { force: true });
  return running.length;
}

/**
 * The cluster's admin addresses, re-read from `dir`/cluster.json every `intervalMs` (what the front
 * ports forward to, docs/live-runtime.md §7.1): a node restarted by its supervisor keeps its ports, and
 * a file that cannot be read keeps the last list.
 */
export function watchClusterAdmins(
  dir: string,
  initial: readonly string[],
  intervalMs: number,
): { admins: () => readonly string[]; stop: () => void } {
  let admins = initial;
  const timer = setInterval(() => {
    readClusterFile(dir)
      .then((file) => {
        if (file !== null && file.nodes.length > 0) admins = file.nodes.map((node) => node.admin);
      })
      .catch(() => {});
  }, intervalMs);
  timer.unref();
  return { admins: () => admins, stop: () => clearInterval(timer) };
}
