// Stopping the processes of a local cluster (docs/live-runtime.md §4, §5): `cluster down` signals each
// supervisor's process group — which reaches a node whose supervisor died — and never a pid from
// cluster.json that may since name another process; a node stops when its supervisor is killed with -9;
// a Ctrl-C during `selfman start`'s start-up, or during `selfman bench`, leaves no node process behind.
// Waiting is polling an observable condition with a deadline, never a fixed sleep.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { fetchNodeStatus } from "../../src/runtime/admin-client.js";
import {
  type ClusterFile,
  type ClusterNode,
  clusterDown,
  isGroupRunning,
  isRunning,
  readClusterFile,
} from "../../src/runtime/local-cluster.js";
import { tempDir, waitFor } from "../helpers/live-cluster.js";

const SUPERVISOR_PORT = 26_700;
const START_BASE_PORT = 26_800;
const START_PAGE_PORT = 26_790;
const BENCH_BASE_PORT = 26_900;

/** The pids of processes whose command line contains `text` (pgrep -f). */
async function processesMentioning(text: string): Promise<number[]> {
  try {
    const { stdout } = await promisify(execFile)("pgrep", ["-f", text], { encoding: "utf8" });
    return stdout.split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Resolves with the process's exit code, or rejects after `ms`. */
function exitOf(child: ChildProcess, ms: number, what: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`${what}: did not exit within ${ms} ms`)), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A cluster.json with one node, as `cluster up` writes it, for processes this test made up. */
async function writeClusterFile(
  dir: string,
  node: Pick<ClusterNode, "pid" | "supervisorPid">,
): Promise<void> {
  const file: ClusterFile = {
    dir,
    basePort: 1,
    insecure: true,
    nodes: [
      {
        name: "node-1",
        ...node,
        listen: "127.0.0.1:2",
        admin: "127.0.0.1:102",
        dataDir: path.join(dir, "nodes", "node-1"),
        log: path.join(dir, "nodes", "node-1", "node.log"),
      },
    ],
  };
  await writeFile(path.join(dir, "cluster.json"), `${JSON.stringify(file, null, 2)}\n`);
}

/** A process that is nothing of the cluster's: `sleep`, in this test's process group, or leading its own. */
function bystander(ownGroup: boolean): ChildProcess {
  return spawn("sleep", ["300"], { detached: ownGroup, stdio: "ignore" });
}

describe("cluster down and stale pids", () => {
  const spawned: ChildProcess[] = [];
  const orphans: number[] = [];
  let dir = "";
  before(async () => {
    dir = await tempDir("stale-pids");
  });
  after(async () => {
    for (const child of spawned) child.kill("SIGKILL");
    for (const pid of orphans.filter(isRunning)) process.kill(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("signals the supervisor's group, which outlives its leader, and never the recorded node pid", async () => {
    // The group's leader (standing for a supervisor that died) exits; its child (standing for the
    // node it restarted) lives on in the group.
    const leader = spawn("sh", ["-c", "sleep 300 >/dev/null 2>&1 & echo $!"], {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    let printed = "";
    leader.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    assert.equal(await exitOf(leader, 10_000, "the group leader"), 0);
    const orphan = Number(printed.trim());
    orphans.push(orphan);
    assert.ok(orphan > 0 && isRunning(orphan), "the leader's child runs on");
    const groupId = leader.pid ?? -1;
    assert.equal(isRunning(groupId), false, "the leader is gone");
    assert.equal(isGroupRunning(groupId), true, "its group is not");
    // The node pid in cluster.json is stale, and now names a process that is not the node's.
    const unrelated = bystander(false);
    spawned.push(unrelated);
    await writeClusterFile(dir, { pid: unrelated.pid ?? -1, supervisorPid: groupId });

    assert.equal(await clusterDown(dir), 1, "the node's group was still up");
    assert.equal(isRunning(orphan), false, "the process left in the group was stopped");
    assert.equal(isGroupRunning(groupId), false);
    assert.ok(
      unrelated.exitCode === null && isRunning(unrelated.pid ?? -1),
      "the stale pid was not signalled",
    );
    assert.equal(await readClusterFile(dir), null, "cluster.json is gone");
  });

  it("a recorded supervisor pid that now leads someone else's group is not up, and is not signalled", {
    skip: existsSync("/proc/self/cmdline") ? false : "needs /proc to tell a process's command",
  }, async () => {
    const reused = bystander(true); // a group leader whose pid cluster.json names, running `sleep`
    const unrelated = bystander(false);
    spawned.push(reused, unrelated);
    await writeClusterFile(dir, { pid: unrelated.pid ?? -1, supervisorPid: reused.pid ?? -1 });
    assert.equal(isGroupRunning(reused.pid ?? -1), false, "not one of ours");
    assert.equal(await clusterDown(dir), 0, "nothing of the cluster runs");
    assert.equal(reused.exitCode, null);
    assert.equal(unrelated.exitCode, null);
    assert.ok(isRunning(reused.pid ?? -1) && isRunning(unrelated.pid ?? -1), "neither was signalled");
  });
});

describe("a supervised node whose supervisor dies", () => {
  let dir = "";
  let supervisor: ChildProcess | null = null;
  before(async () => {
    dir = await tempDir("supervisor-kill");
  });
  after(async () => {
    supervisor?.kill("SIGKILL");
    for (const pid of await processesMentioning(dir)) process.kill(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("kill -9 of the supervisor: the node stops in place and frees its ports", async () => {
    const admin = `127.0.0.1:${SUPERVISOR_PORT + 100}`;
    supervisor = spawn(
      process.execPath,
      [
        "bin/selfman",
        "node",
        "--supervise",
        "--insecure",
        "--name",
        "node-1",
        "--listen",
        `127.0.0.1:${SUPERVISOR_PORT}`,
        "--api",
        admin,
        "--data-dir",
        path.join(dir, "node-1"),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let log = "";
    supervisor.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString(); // the node writes here too, after its supervisor is gone
    });
    const status = await waitFor("the node to serve", 60_000, async () => fetchNodeStatus(admin, 1000));
    assert.notEqual(status.pid, supervisor.pid, "the node is the supervisor's child");
    const killedAt = Date.now();
    supervisor.kill("SIGKILL");
    await waitFor("the node to exit", 20_000, async () => (isRunning(status.pid) ? undefined : true));
    process.stderr.write(`    the node exited ${Date.now() - killedAt} ms after its supervisor was killed\n`);
    await assert.rejects(fetchNodeStatus(admin, 1000), "its admin port is closed");
    assert.match(log, /the supervisor is gone/);
    assert.deepEqual(await processesMentioning(dir), []);
  });
});

describe("Ctrl-C while nodes start", () => {
  let dir = "";
  let command: ChildProcess | null = null;
  before(async () => {
    dir = await tempDir("interrupt");
  });
  after(async () => {
    command?.kill("SIGKILL");
    for (const pid of await processesMentioning(dir)) process.kill(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("selfman start: a SIGINT after the first node joined stops it and every node started since", async () => {
    const clusterDir = path.join(dir, "start");
    command = spawn(
      process.execPath,
      [
        "bin/selfman",
        "start",
        "--nodes",
        "4",
        "--dir",
        clusterDir,
        "--base-port",
        String(START_BASE_PORT),
        "--page-port",
        String(START_PAGE_PORT),
        "--rpc-port",
        String(START_PAGE_PORT + 1),
        "--port",
        String(START_PAGE_PORT + 2),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    command.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    command.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor("node-1 to join", 60_000, async () =>
      output.includes("node-1 joined") ? true : undefined,
    );
    command.kill("SIGINT");
    assert.equal(await exitOf(command, 60_000, "selfman start"), 0, output);
    const during = output.includes("stopped during start-up");
    process.stderr.write(`    the SIGINT came ${during ? "during start-up" : "after start-up"}\n`);
    assert.deepEqual(await processesMentioning(clusterDir), [], "no node process is left");
    assert.equal(await readClusterFile(clusterDir), null);
  });

  it("selfman bench: a SIGINT stops the benchmark's cluster and removes its directory, exit 130", async () => {
    const tmp = path.join(dir, "tmp"); // the bench's os.tmpdir(), so its directory is found here
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    command = spawn(
      process.execPath,
      [
        "bin/selfman",
        "bench",
        "kv",
        "--nodes",
        "2",
        "--ops",
        "1000000",
        "--base-port",
        String(BENCH_BASE_PORT),
      ],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: tmp } },
    );
    let output = "";
    command.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const benchDirs = async () => (await readdir(tmp)).filter((name) => name.startsWith("selfman-bench-"));
    await waitFor("the benchmark's first node to be a ring member", 60_000, async () => {
      for (const name of await benchDirs()) {
        const text = await readFile(path.join(tmp, name, "cluster.json"), "utf8").catch(() => null);
        const file = text === null ? null : (JSON.parse(text) as ClusterFile);
        if (file?.nodes.some((n) => n.pid > 0)) return true;
      }
      return undefined;
    });
    command.kill("SIGINT");
    assert.equal(await exitOf(command, 60_000, "selfman bench"), 130, output);
    assert.match(output, /SIGINT: stopping the benchmark's cluster/);
    assert.deepEqual(await processesMentioning(tmp), [], "no node process is left");
    assert.deepEqual(await benchDirs(), [], "the benchmark's directory is removed");
  });
});
