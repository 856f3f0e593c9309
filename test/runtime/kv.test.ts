// The replicated store with real processes (docs/replication.md §6): an 8-node cluster takes 10,000 puts
// through POST /kv; after kill -9 of the node holding the most data (one replica of a key at most), every key
// reads its last value (reads may fail while the lost replicas are repaired, but never answer anything else).
// And `selfman start` → put → stop → start again: the value is there, read back from lmdb.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { IdSpace } from "../../src/core/id-space.js";
import type { ClusterFile } from "../../src/runtime/local-cluster.js";
import {
  clusterDown,
  clusterUp,
  type KvAnswer,
  kv,
  pool,
  ringJson,
  selfman,
  tempDir,
  waitFor,
} from "../helpers/live-cluster.js";
import { type StartedSelfman, spawnSelfmanStart } from "../helpers/selfman-start.js";

const BASE_PORT = 25_000;
const START_BASE_PORT = 25_300;
const START_PAGE_PORT = 25_290;
const KEYS = 2_500;
const ROUNDS = 4; // 4 × 2,500 = 10,000 puts; each key's last value is its round-3 value
const CONCURRENCY = 64;
/** Failure detection, takeover and repair of the victim's ranges, with room for a slow machine. */
const READ_DEADLINE_MS = 60_000;
const ids = new IdSpace();

const keyOf = (i: number) => `key-${i}`;
const writtenValue = (i: number, round: number) => ({ key: i, round, text: `value ${round} of key ${i}` });

describe("replicated storage on a live cluster", { concurrency: false }, () => {
  let dir = "";
  let cluster: ClusterFile;

  before(async () => {
    dir = await tempDir("kv");
    cluster = await clusterUp(dir, 8, BASE_PORT);
    await waitFor("a perfect ring of 8", 20_000, async () => {
      const s = await ringJson(dir);
      return s.perfect && s.nodes.length === 8 ? true : undefined;
    });
  });
  after(async () => {
    await clusterDown(dir);
  });

  it("10,000 puts, kill -9 of one node: every key reads its last value", async () => {
    const admins = cluster.nodes.map((n) => n.admin);
    const startedAt = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      await pool(KEYS, CONCURRENCY, async (i) => {
        const admin = admins[(i + round) % admins.length] as string;
        const { status, answer } = await kv(admin, {
          op: "put",
          key: keyOf(i),
          value: writtenValue(i, round),
        });
        assert.equal(status, 200, `put ${keyOf(i)} round ${round}: ${answer.message ?? ""}`);
      });
    }
    const putMs = Date.now() - startedAt;
    process.stderr.write(`    ${KEYS * ROUNDS} puts in ${putMs} ms\n`);

    // The victim: the node with the most data among those holding at most one replica of any key —
    // a range of at most N/f (replica ids are N/f apart). A node with a larger range holds two of
    // some keys' four replicas: losing it is beyond what f = 4 tolerates (docs/replication.md §1), and those
    // keys would rightly stay unavailable rather than be rebuilt from the other half.
    const ring = await ringJson(dir);
    const rangeOf = (n: (typeof ring.nodes)[number]) =>
      n.pred === null ? 0n : ids.dist(BigInt(n.pred.id), BigInt(n.id));
    const quarter = ids.size / 4n;
    const largest = [...ring.nodes]
      .filter((n) => rangeOf(n) <= quarter)
      .sort((a, b) => (rangeOf(b) > rangeOf(a) ? 1 : -1))[0];
    const victim = cluster.nodes.find((n) => n.admin === largest?.admin);
    assert.ok(victim !== undefined);
    process.kill(victim.pid, "SIGKILL");
    const killedAt = Date.now();
    const survivors = admins.filter((a) => a !== victim.admin);

    let retried = 0;
    let lastReadAt = killedAt;
    await pool(KEYS, CONCURRENCY, async (i) => {
      const admin = survivors[i % survivors.length] as string;
      for (;;) {
        const { status, answer } = await kv(admin, { op: "get", key: keyOf(i) });
        if (status === 200) {
          assert.equal(answer.found, true, `${keyOf(i)} found`);
          assert.deepEqual(answer.value, writtenValue(i, ROUNDS - 1), `${keyOf(i)} reads its last value`);
          lastReadAt = Math.max(lastReadAt, Date.now());
          return;
        }
        // A key whose replicas are being repaired fails with a clear error; it is asked again.
        assert.ok(
          answer.error === "unavailable" || answer.error === "timeout",
          `${keyOf(i)}: ${answer.error}`,
        );
        assert.ok(Date.now() - killedAt < READ_DEADLINE_MS, `${keyOf(i)} unreadable: ${answer.message}`);
        retried++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    process.stderr.write(
      `    ${KEYS} keys read back after kill -9 of ${victim.name}: all last values, ` +
        `${retried} retried reads, last read ${lastReadAt - killedAt} ms after the kill\n`,
    );
  });
});

describe("selfman start (npm start: 8 nodes) keeps data across a full stop", () => {
  let dir = "";
  let start: StartedSelfman | null = null;

  const ports = {
    basePort: START_BASE_PORT,
    pagePort: START_PAGE_PORT,
    rpcPort: START_PAGE_PORT + 1,
    apiPort: START_PAGE_PORT + 2,
  };
  const startCluster = async (): Promise<StartedSelfman> => {
    const started = spawnSelfmanStart(dir, ports);
    start = started; // killed by after() even if it never comes up: its front ports would stay taken
    await started.running();
    return started;
  };
  const stopCluster = async (started: StartedSelfman): Promise<void> => {
    started.child.kill("SIGINT");
    assert.equal(await started.exited, 0, "selfman start exits 0 on Ctrl-C");
  };

  before(async () => {
    dir = await tempDir("kv-start");
  });
  after(async () => {
    start?.child.kill("SIGKILL");
    await clusterDown(dir);
  });

  it("put, stop everything, start again: the value is there", async () => {
    start = await startCluster();
    const value = { note: "survives a full stop", at: 1 };
    const put = await selfman("put", "durable", JSON.stringify(value), "--dir", dir, "--json");
    assert.equal(put.code, 0, put.stderr);
    const counter = await selfman("incr", "counter", "7", "--dir", dir, "--json");
    assert.equal(counter.code, 0, counter.stderr);
    assert.equal((await selfman("put", "gone", "1", "--dir", dir)).code, 0);
    const deleted = await selfman("delete", "gone", "--dir", dir, "--json");
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await selfman("get", "gone", "--dir", dir, "--json");
    assert.equal((JSON.parse(gone.stdout) as KvAnswer).found, false, "a deleted key reads as not found");
    await stopCluster(start);

    start = await startCluster();
    const got = await waitFor("the value read back after the restart", 30_000, async () => {
      const r = await selfman("get", "durable", "--dir", dir, "--json");
      return r.code === 0 ? (JSON.parse(r.stdout) as KvAnswer) : undefined;
    });
    assert.equal(got.found, true);
    assert.deepEqual(got.value, value);
    const count = await selfman("get", "counter", "--dir", dir, "--json");
    assert.equal(count.code, 0, count.stderr);
    assert.equal((JSON.parse(count.stdout) as KvAnswer).value, 7);
    await stopCluster(start);
    start = null;
  });
});
