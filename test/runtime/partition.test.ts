// Ring merge after a real partition (docs/ring-merge.md; §6.3 for the data after the merge): 8 TLS nodes in
// two network namespaces; the link between them is cut, each side becomes a ring of its own, the link
// comes back, they merge into one perfect ring whose successor lists are whole again, and every write
// either side acknowledged reads its value.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type RingSurvey, surveyRing } from "../../src/api/ring-survey.js";
import { IdSpace } from "../../src/core/id-space.js";
import { fetchJson } from "../../src/runtime/admin-client.js";
import { nodeName, waitForMember } from "../../src/runtime/local-cluster.js";
import { DEFAULT_REPLICATION, replicaIds } from "../../src/store/replicas.js";
import { type KvAnswer, kv, pool, ringJson, selfman, tempDir, waitFor } from "../helpers/live-cluster.js";
import { createNetnsPair, type NetnsPair, type NetnsSide, netnsUnavailable } from "../helpers/netns.js";

const SELFMAN_BIN = fileURLToPath(new URL("../../bin/selfman", import.meta.url));
const NODES_PER_SIDE = 4;
const NODES = 2 * NODES_PER_SIDE;
const PEER_PORT = 7000; // node i listens on its side's data address, port 7000 + i
const ADMIN_PORT = 7100; // and serves its admin port on its side's management address, 7100 + i
/**
 * Where node i sits on the ring, in 128ths of it (A: nodes 1–4, B: 5–8; in ring order a b a b b b a a).
 * Random ids would make the test a lottery: in about two layouts of three, one side holds a majority
 * of no key's replicas. These ids give each side a majority of about a third of all keys, and
 * neither side one of another third (replicas split 2/2); the keys below fall the same way.
 */
const RING_128THS = [13n, 53n, 105n, 107n, 35n, 55n, 85n, 97n];
const KEYS_BEFORE = 40;
const KEYS_PER_SIDE = 40;
const MEMBER_TIMEOUT_MS = 30_000;
/** Failure detection of the other side, then pred takeover (predTakeoverMs 6 s), with room. */
const SPLIT_TIMEOUT_MS = 30_000;
/** Passive-list pings (every 10 s, docs/ring-merge.md §2), then the zip (§3), with room. */
const MERGE_TIMEOUT_MS = 45_000;
const READ_DEADLINE_MS = 60_000;
/** A pred whose list differs from its successor's asks again at most every ringCheckMs (5 s). */
const LISTS_TIMEOUT_MS = 30_000;
const CONCURRENCY = 16;
/** A majority of a key's replicas. */
const MAJORITY = Math.floor(DEFAULT_REPLICATION / 2) + 1;
const ids = new IdSpace();

const unavailable = netnsUnavailable();
if (unavailable !== null)
  process.stderr.write(`\n*** SKIPPING the network-partition test: ${unavailable} ***\n\n`);

interface NsNode {
  readonly name: string;
  readonly side: NetnsSide;
  readonly listen: string;
  readonly admin: string;
  readonly log: string;
  readonly child: ChildProcess;
}

/** A write that answered 200: the key must read this value from then on. */
interface Acknowledged {
  readonly key: string;
  readonly value: { readonly key: string; readonly phase: string };
}

/** A failed operation must fail the way the README says: unavailable (503) or timeout (504). */
function assertCleanFailure(what: string, status: number, answer: KvAnswer): void {
  assert.ok(
    (status === 503 && answer.error === "unavailable") || (status === 504 && answer.error === "timeout"),
    `${what}: HTTP ${status} ${JSON.stringify(answer)}`,
  );
}

/** Whether the nodes at `admins` (and only they) form one perfect ring. */
async function perfectRingOf(admins: readonly string[]): Promise<true | undefined> {
  const survey = await surveyRing(admins, 1000);
  return survey.perfect && survey.nodes.length === admins.length ? true : undefined;
}

/**
 * How many of `key`'s replicas the nodes at `admins` held in the ring `before` the cut: a replica id
 * belongs to the node whose range (pred, self] holds it (a node with a wide range may hold two).
 */
function replicasHeld(before: RingSurvey, admins: readonly string[], key: string): number {
  return replicaIds(ids, DEFAULT_REPLICATION, key).filter((replica) => {
    const owner = before.nodes.find(
      (n) => n.pred !== null && ids.inOC(replica, BigInt(n.pred.id), BigInt(n.id)),
    );
    return owner !== undefined && admins.includes(owner.admin);
  }).length;
}

/** One side of the partition: its label (key prefix) and its nodes' admin addresses. */
interface Side {
  readonly label: string;
  readonly admins: readonly string[];
}

/** What one side managed while cut off, and what it should have (a majority of replicas there). */
interface SideTally {
  puts: number;
  writable: number;
  gets: number;
  readable: number;
}

/**
 * While cut off, `side` puts KEYS_PER_SIDE keys of its own and reads every key written `earlier`, all at once
 * (an operation that lacks a majority fails only at its 10 s deadline). An operation may fail cleanly; one
 * that succeeds must have had a majority of the key's replicas on this side (docs/ring-merge.md §6.3: a node
 * that took a range over without its data does not serve it — with a key's replicas split 2/2, neither side
 * may answer), and a read must answer the acknowledged value. Acknowledged puts are added to `acknowledged`.
 */
async function operateCutOff(
  side: Side,
  before: RingSurvey,
  earlier: readonly Acknowledged[],
  acknowledged: Acknowledged[],
): Promise<SideTally> {
  const tally: SideTally = { puts: 0, writable: 0, gets: 0, readable: 0 };
  const puts = Array.from({ length: KEYS_PER_SIDE }, (_, i) => {
    const key = `${side.label}-${i}`;
    return { key, value: { key, phase: `side ${side.label} during the partition` } };
  });
  const operations = [
    ...puts.map((write) => ({ kind: "put" as const, ...write })),
    ...earlier.map((write) => ({ kind: "get" as const, ...write })),
  ];
  await Promise.all(
    operations.map(async ({ kind, key, value }, i) => {
      const held = replicasHeld(before, side.admins, key);
      if (held >= MAJORITY) tally[kind === "put" ? "writable" : "readable"]++;
      const what = `${kind} ${key} on side ${side.label} during the partition (${held} of its replicas there)`;
      const admin = side.admins[i % side.admins.length] as string;
      const { status, answer } = await kv(
        admin,
        kind === "put" ? { op: "put", key, value } : { op: "get", key },
      );
      if (status !== 200) return assertCleanFailure(what, status, answer);
      assert.ok(held >= MAJORITY, `${what} succeeded without a majority: ${JSON.stringify(answer)}`);
      if (kind === "put") {
        acknowledged.push({ key, value });
        tally.puts++;
      } else {
        assert.equal(answer.found, true, `${what}: found`);
        assert.deepEqual(answer.value, value, what);
        tally.gets++;
      }
    }),
  );
  return tally;
}

/**
 * Reads every acknowledged write back: an answer must be exactly its value, never absent or older;
 * a read that fails cleanly is asked again (of the next node) until READ_DEADLINE_MS after `since`.
 * Returns how many reads were retried.
 */
async function readBack(
  acknowledged: readonly Acknowledged[],
  admins: readonly string[],
  since: number,
): Promise<number> {
  let retried = 0;
  await pool(acknowledged.length, CONCURRENCY, async (j) => {
    const { key, value } = acknowledged[j] as Acknowledged;
    for (let attempt = 0; ; attempt++) {
      const { status, answer } = await kv(admins[(j + attempt) % admins.length] as string, {
        op: "get",
        key,
      });
      if (status === 200) {
        assert.equal(answer.found, true, `get ${key} after the merge: found`);
        assert.deepEqual(answer.value, value, `get ${key} after the merge`);
        return;
      }
      assertCleanFailure(`get ${key} after the merge`, status, answer);
      assert.ok(
        Date.now() - since < READ_DEADLINE_MS,
        `${key} unreadable after the merge: ${answer.message}`,
      );
      retried++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  return retried;
}

/** What each node says about itself, saved next to the logs when the test fails. */
async function saveNodeState(nodes: readonly NsNode[], logs: string): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const read = (what: string) =>
        fetchJson<unknown>(`http://${node.admin}/${what}`, 2000).catch((error: unknown) => String(error));
      const state = { status: await read("v1/status"), ranges: await read("v1/ranges") };
      await writeFile(path.join(logs, `${node.name}.state.json`), `${JSON.stringify(state, null, 2)}\n`);
    }),
  );
}

describe("ring merge after a real network partition", {
  concurrency: false,
  skip: unavailable ?? false,
}, () => {
  let dir = "";
  let net: NetnsPair | null = null;
  const nodes: NsNode[] = [];
  let passed = false;

  /** Starts node i in its side's namespace, at its ring position (its data dir's node.json). */
  const startNode = async (i: number, side: NetnsSide, join: string | null): Promise<NsNode> => {
    const name = nodeName(i);
    const dataDir = path.join(dir, "nodes", name);
    const log = path.join(dir, "logs", `${name}.log`);
    const listen = `${side.dataAddr}:${PEER_PORT + i}`;
    const admin = `${side.mgmtAddr}:${ADMIN_PORT + i}`;
    const id = (RING_128THS[i - 1] ?? 0n) * (ids.size / 128n);
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, "node.json"), `${JSON.stringify({ name, id: id.toString() })}\n`);
    const certs = path.join(dir, "certs");
    const argv = ["netns", "exec", side.ns, process.execPath, SELFMAN_BIN, "node", "--name", name];
    argv.push("--listen", listen, "--api", admin, "--data-dir", dataDir, "--cluster-dir", certs);
    argv.push("--auth-file", path.join(dir, "auth.json"));
    if (join !== null) argv.push("--join", join);
    // `ip netns exec` execs the command in place: the child's pid is the node's.
    const out = openSync(log, "a");
    const child = spawn("ip", argv, { stdio: ["ignore", out, out] });
    closeSync(out);
    const node = { name, side, listen, admin, log, child };
    nodes.push(node);
    return node;
  };

  before(async () => {
    dir = await tempDir("partition");
    await mkdir(path.join(dir, "logs"), { recursive: true });
    net = await createNetnsPair();
    const init = await selfman("cluster", "init", "--dir", path.join(dir, "certs"), "--nodes", String(NODES));
    assert.equal(init.code, 0, init.stderr);
    // the API listens off loopback here, so it needs tokens: the CLI and this test use the admin one
    const token = await selfman(
      "token",
      "create",
      "--scope",
      "admin",
      "--auth-file",
      path.join(dir, "auth.json"),
    );
    assert.equal(token.code, 0, token.stderr);
    process.env.SELFMAN_TOKEN = token.stdout.trim();
    let first: string | null = null;
    for (let i = 1; i <= NODES; i++) {
      const node = await startNode(i, i <= NODES_PER_SIDE ? net.a : net.b, first);
      first ??= node.listen;
      await waitForMember(node.admin, node.child, MEMBER_TIMEOUT_MS).catch((error: unknown) => {
        throw new Error(`${node.name} did not become a member (see ${node.log}): ${String(error)}`);
      });
    }
  });

  // Should this process die without running `after`, its nodes go with it.
  const killNodes = () => {
    for (const node of nodes) node.child.kill("SIGKILL");
  };
  process.once("exit", killNodes);

  after(async () => {
    if (!passed) await saveNodeState(nodes, path.join(dir, "logs")).catch(() => undefined);
    const exits = nodes
      .filter((n) => n.child.exitCode === null && n.child.signalCode === null)
      .map((n) => new Promise((resolve) => n.child.once("exit", resolve)));
    killNodes();
    await Promise.all(exits);
    process.off("exit", killNodes);
    await net?.remove();
    if (passed) await rm(dir, { recursive: true, force: true });
    else if (dir !== "")
      process.stderr.write(`*** partition test failed: node logs and state in ${path.join(dir, "logs")}\n`);
  });

  it("each side becomes a ring of its own, they merge again, and every acknowledged write reads its value", async () => {
    assert.ok(net !== null);
    const link = net;
    const admins = nodes.map((n) => n.admin);
    const sides: Side[] = [
      { label: "a", admins: nodes.filter((n) => n.side === link.a).map((n) => n.admin) },
      { label: "b", admins: nodes.filter((n) => n.side === link.b).map((n) => n.admin) },
    ];
    const t0 = Date.now();
    await waitFor("one perfect ring of 8", 30_000, () => perfectRingOf(admins));
    process.stderr.write(
      `    perfect ring of ${NODES} in two namespaces ${Date.now() - t0} ms after the last join\n`,
    );

    const earlier: Acknowledged[] = [];
    for (let i = 0; i < KEYS_BEFORE; i++) {
      const key = `k-${i}`;
      const value = { key, phase: "before the partition" };
      const { status, answer } = await kv(admins[i % NODES] as string, { op: "put", key, value });
      assert.equal(status, 200, `put ${key} on a perfect ring: ${JSON.stringify(answer)}`);
      earlier.push({ key, value });
    }
    // Who held which replica when the link went: what each side can still reach a majority of.
    const before = await ringJson(dir, admins);
    assert.ok(
      before.perfect && before.nodes.length === NODES,
      `selfman ring before the cut: ${before.problem}`,
    );

    // A cable pull: each side goes on alone.
    await link.cut();
    const cutAt = Date.now();
    const splitMs = await Promise.all(
      sides.map(async (side) => {
        await waitFor(`side ${side.label}: a perfect ring of its own 4`, SPLIT_TIMEOUT_MS, () =>
          perfectRingOf(side.admins),
        );
        return Date.now() - cutAt;
      }),
    );
    process.stderr.write(
      `    after the cut: side a a ring of its own after ${splitMs[0]} ms, side b after ${splitMs[1]} ms\n`,
    );

    const acknowledged = [...earlier];
    const opsAt = Date.now();
    const tallies = await Promise.all(
      sides.map((side) => operateCutOff(side, before, earlier, acknowledged)),
    );
    sides.forEach((side, s) => {
      const t = tallies[s] as SideTally;
      process.stderr.write(
        `    during the partition, side ${side.label}: ${t.puts}/${KEYS_PER_SIDE} puts acknowledged ` +
          `(${t.writable} had a majority of replicas there), ${t.gets}/${KEYS_BEFORE} earlier keys read ` +
          `(${t.readable} readable), every answer right\n`,
      );
    });
    process.stderr.write(
      `    the partition's ${2 * (KEYS_PER_SIDE + KEYS_BEFORE)} operations took ${Date.now() - opsAt} ms\n`,
    );
    // And availability: a side that holds a majority of a key's replicas keeps serving that key.
    sides.forEach((side, s) => {
      const t = tallies[s] as SideTally;
      assert.ok(t.writable > 0, `side ${side.label} holds a majority of some key's replicas (RING_128THS)`);
      assert.ok(t.readable > 0, `side ${side.label} holds a majority of some earlier key's replicas`);
      assert.equal(
        t.puts,
        t.writable,
        `side ${side.label}: every put with a majority of replicas there succeeds`,
      );
      assert.equal(
        t.gets,
        t.readable,
        `side ${side.label}: every get with a majority of replicas there answers`,
      );
    });

    await link.restore();
    const restoredAt = Date.now();
    await waitFor("one perfect ring of 8 after the link is back", MERGE_TIMEOUT_MS, () =>
      perfectRingOf(admins),
    );
    process.stderr.write(
      `    link restored: one perfect ring of ${NODES} after ${Date.now() - restoredAt} ms\n`,
    );
    const merged = await ringJson(dir, admins);
    assert.ok(
      merged.perfect && merged.nodes.length === NODES,
      `selfman ring after the merge: ${merged.problem}`,
    );
    // What crash recovery walks must be whole again too: every successor list the next 7 nodes.
    await waitFor("every successor list the next nodes", LISTS_TIMEOUT_MS, async () => {
      const survey = await surveyRing(admins, 1000);
      return survey.perfect && survey.staleSuccLists.length === 0 ? true : undefined;
    });
    process.stderr.write(
      `    every successor list right ${Date.now() - restoredAt} ms after the link came back\n`,
    );

    const retried = await readBack(acknowledged, admins, restoredAt);
    process.stderr.write(
      `    all ${acknowledged.length} acknowledged writes read back ${Date.now() - restoredAt} ms after the ` +
        `link came back (${retried} retried reads)\n`,
    );
    passed = true;
  });
});
