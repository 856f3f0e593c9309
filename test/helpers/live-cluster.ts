// Real node processes for the live tests: a cluster started and stopped through the `selfman` CLI,
// and the readings the tests assert on (the ring as `selfman ring --json` sees it, each node's range
// history). Waiting is polling for a condition with a deadline, never a fixed sleep.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { RingSurvey } from "../../src/api/ring-survey.js";
import type { RangeHistory } from "../../src/check/range-history.js";
import { authHeader, fetchJson } from "../../src/runtime/admin-client.js";
import type { ClusterFile } from "../../src/runtime/local-cluster.js";

const run = promisify(execFile);

export async function selfman(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run("./bin/selfman", args, { encoding: "utf8", maxBuffer: 1 << 24 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: typeof e.code === "number" ? e.code : 1 };
  }
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `selfman-${label}-`));
}

export async function clusterUp(
  dir: string,
  nodes: number,
  basePort: number,
  ...extra: string[]
): Promise<ClusterFile> {
  const up = await selfman(
    "cluster",
    "up",
    "--nodes",
    String(nodes),
    "--dir",
    dir,
    "--base-port",
    String(basePort),
    "--json",
    ...extra,
  );
  if (up.code !== 0) throw new Error(`cluster up failed: ${up.stderr}`);
  return JSON.parse(up.stdout) as ClusterFile;
}

export async function clusterDown(dir: string): Promise<void> {
  await selfman("cluster", "down", "--dir", dir);
  await rm(dir, { recursive: true, force: true });
}

/** The ring as `selfman ring --json` sees it: the cluster directory's nodes, or these admin ports. */
export async function ringJson(dir: string, admins?: readonly string[]): Promise<RingSurvey> {
  const target = admins === undefined ? ["--dir", dir] : ["--admin", admins.join(",")];
  const ring = await selfman("ring", ...target, "--json");
  return JSON.parse(ring.stdout) as RingSurvey;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `${what}: not within ${timeoutMs} ms${last === null ? "" : ` (last error: ${String(last)})`}`,
  );
}

/** A node's range history as its admin port reports it. */
export async function rangeHistory(admin: string, untilMs = Number.POSITIVE_INFINITY): Promise<RangeHistory> {
  const all = await fetchJson<{
    nodes: { name: string; id: string; ranges: { atMs: number; pred: string | null; member: boolean }[] }[];
  }>(`http://${admin}/v1/ranges`, 2000);
  const body = all.nodes[0];
  if (body === undefined) throw new Error(`${admin} hosts no node`);
  return {
    name: body.name,
    id: BigInt(body.id),
    changes: body.ranges.map((r) => ({
      atMs: r.atMs,
      pred: r.pred === null ? null : BigInt(r.pred),
      member: r.member,
    })),
    untilMs,
  };
}

/** What a node's API answers to a single-key operation. */
export interface KvAnswer {
  readonly value?: unknown;
  readonly found?: boolean;
  readonly error?: string;
  readonly message?: string;
}

/** One single-key operation ({op, key, ...}) through a node's /v1/kv route. */
export async function kv(
  admin: string,
  body: Record<string, unknown>,
): Promise<{ status: number; answer: KvAnswer }> {
  const { op, key, ...rest } = body;
  const method = op === "get" ? "GET" : op === "delete" ? "DELETE" : op === "put" ? "PUT" : "POST";
  const payload = op === "put" ? { value: rest.value } : { op, ...rest };
  const response = await fetch(`http://${admin}/v1/kv/${encodeURIComponent(String(key))}`, {
    method,
    headers: { "content-type": "application/json", ...authHeader() },
    ...(method === "GET" || method === "DELETE" ? {} : { body: JSON.stringify(payload) }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, answer: (await response.json()) as KvAnswer };
}

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
export async function pool(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
