// In-process load for `selfman bench` (docs/metrics.md §7): batches of lookups, single-key operations
// or transactions run from inside a node process, `concurrency` at a time, each timed as the calling
// node sees it — so a benchmark measures the node, not an HTTP client. They use only the node's public
// API (lookupId, kv, transaction); load-routes.ts serves them on the admin port.
import { randomBytes } from "node:crypto";
import type { KvOp } from "../store/kv-proposer.js";
import type { LiveNode } from "./live-node.js";
import { DEFAULT_RETRY, TxError } from "./transactions.js";

/** What one batch reports: how many ran, how many failed, and the latencies (ms) of the others. */
interface LoadBatch {
  readonly count: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly latenciesMs: number[];
}

/** A transaction batch adds how many committed and the attempts it took (retries included). */
interface TxLoadBatch extends LoadBatch {
  readonly committed: number;
  readonly attempts: number;
}

export type KvWorkload = "read" | "write" | "incr";
export type TxWorkload = "increment" | "transfer";

/** A uniform integer in [0, n). */
function uniform(n: number): number {
  return randomBytes(4).readUInt32BE(0) % n;
}

const roundMs = (ms: number) => Number(ms.toFixed(3));

/** Runs `one(i)` for i in [0, count), at most `concurrency` at a time; resolves with the wall time. */
async function runConcurrently(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}

/** `count` lookups of uniformly random ids (what `selfman bench lookup` drives). */
export async function driveLookups(node: LiveNode, count: number, concurrency: number): Promise<LoadBatch> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const wallMs = await runConcurrently(count, concurrency, async () => {
    const id = node.ids.randomId(() => randomBytes(4).readUInt32BE(0) / 2 ** 32);
    const { result, latencyMs } = await node.lookupId(id);
    if (result.ok) latenciesMs.push(roundMs(latencyMs));
    else failed++;
  });
  return { count, failed, wallMs, latenciesMs };
}

/** The operation of a kv workload; the i-th write puts i. */
function kvOp(workload: KvWorkload, i: number): KvOp {
  switch (workload) {
    case "read":
      return { kind: "get" };
    case "write":
      return { kind: "put", value: i };
    case "incr":
      return { kind: "incr", by: 1 };
  }
}

/** `count` operations of one kind on `keys` keys (key-0 …) (what `selfman bench kv` drives). */
export async function driveKv(
  node: LiveNode,
  workload: KvWorkload,
  count: number,
  concurrency: number,
  keys: number,
): Promise<LoadBatch> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const wallMs = await runConcurrently(count, concurrency, async (i) => {
    const key = `key-${uniform(keys)}`;
    const t0 = performance.now();
    const result = await node.kv(key, kvOp(workload, i));
    if (result.ok) latenciesMs.push(roundMs(performance.now() - t0));
    else failed++;
  });
  return { count, failed, wallMs, latenciesMs };
}

const numberOr0 = (value: unknown) => (typeof value === "number" ? value : 0);

/** One transaction of a workload on `keys` keys, retried on conflict; resolves with its attempts. */
async function oneTransaction(node: LiveNode, workload: TxWorkload, keys: number): Promise<number> {
  if (workload === "increment") {
    const run = await node.transaction(async (tx) => {
      const key = `counter-${uniform(keys)}`;
      const { value } = await tx.read(key);
      await tx.write(key, numberOr0(value) + 1);
    });
    return run.attempts;
  }
  const run = await node.transaction(async (tx) => {
    const a = uniform(keys);
    const b = (a + 1 + (uniform(keys) % (keys - 1))) % keys;
    const from = await tx.read(`account-${a}`);
    const to = await tx.read(`account-${b}`);
    const balance = numberOr0(from.value);
    if (balance < 1) return;
    await tx.write(`account-${a}`, balance - 1);
    await tx.write(`account-${b}`, numberOr0(to.value) + 1);
  });
  return run.attempts;
}

/**
 * `count` transactions (what `selfman bench tx` drives): `increment` adds 1 to one of `keys` counters;
 * `transfer` moves 1 between two of `keys` accounts (if the first has it). Latencies of committed
 * transactions, retries included.
 */
export async function driveTx(
  node: LiveNode,
  workload: TxWorkload,
  count: number,
  concurrency: number,
  keys: number,
): Promise<TxLoadBatch> {
  const latenciesMs: number[] = [];
  let failed = 0;
  let attempts = 0;
  const wallMs = await runConcurrently(count, concurrency, async () => {
    const t0 = performance.now();
    try {
      // (read the total only after the await: `attempts += await …` would add to a stale total)
      const took = await oneTransaction(node, workload, keys);
      attempts += took;
      latenciesMs.push(roundMs(performance.now() - t0));
    } catch (error) {
      failed++;
      attempts += error instanceof TxError && error.code === "conflict" ? DEFAULT_RETRY.attempts : 1;
    }
  });
  return { count, committed: latenciesMs.length, attempts, failed, wallMs, latenciesMs };
}
