// Transactions with real processes (docs/transactions.md §1): a 4-node cluster over TLS takes request lists
// through POST /tx and `selfman tx --ops FILE`; bad lists get 400 naming the bad field, a failed test_and_set
// 409 with nothing committed; and 800 concurrent transfers between 20 accounts, from every node at once,
// leave the total unchanged (the commits that conflict are retried; none is half applied).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ClusterFile } from "../../src/runtime/local-cluster.js";
import { clusterDown, clusterUp, ringJson, selfman, tempDir, waitFor } from "../helpers/live-cluster.js";

const BASE_PORT = 25_600;
const ACCOUNTS = 20;
const BALANCE = 100;

/** A request list through POST /v1/tx: a last {op: commit} becomes the commit flag. */
async function postTx(
  admin: string,
  body: { ops: { op: string; [member: string]: unknown }[] },
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const commit = body.ops.at(-1)?.op === "commit";
  const response = await fetch(`http://${admin}/v1/tx`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ops: commit ? body.ops.slice(0, -1) : body.ops, commit }),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> };
}

const values = (answer: Record<string, unknown>) =>
  (answer.results as { value?: unknown }[]).map((r) => r.value);

describe("transactions on a live cluster", { concurrency: false }, () => {
  let dir = "";
  let cluster: ClusterFile;
  let admins: string[] = [];

  before(async () => {
    dir = await tempDir("tx");
    cluster = await clusterUp(dir, 4, BASE_PORT);
    admins = cluster.nodes.map((n) => n.admin);
    await waitFor("a perfect ring of 4", 20_000, async () => {
      const s = await ringJson(dir);
      return s.perfect && s.nodes.length === 4 ? true : undefined;
    });
  });
  after(async () => {
    await clusterDown(dir);
  });

  it("POST /tx runs a request list in one transaction, and every node sees its writes", async () => {
    const { status, answer } = await postTx(admins[0] as string, {
      ops: [
        { op: "write", key: "a", value: { x: 1 } },
        { op: "add_on_nr", key: "n", by: 3 },
        { op: "add_del_on_list", key: "l", add: ["p", "q"], del: ["p"] },
        { op: "read", key: "a" },
        { op: "commit" },
      ],
    });
    assert.equal(status, 200, JSON.stringify(answer));
    assert.equal(answer.committed, true);
    assert.deepEqual(values(answer), [{ x: 1 }, 3, ["q"], { x: 1 }]);
    for (const admin of admins) {
      const read = await postTx(admin, {
        ops: [{ op: "read", key: "n" }, { op: "read", key: "l" }, { op: "commit" }],
      });
      assert.deepEqual(values(read.answer), [3, ["q"]], admin);
    }
  });

  it("bad lists are refused with the field named; a failed test_and_set commits nothing", async () => {
    const bad = await postTx(admins[1] as string, { ops: [{ op: "reed", key: "a" }] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.answer.message), /ops\[0\]\.op/);
    const late = await postTx(admins[1] as string, { ops: [{ op: "commit" }, { op: "read", key: "a" }] });
    assert.equal(late.status, 400);
    assert.match(String(late.answer.message), /ops\[0\]\.op/);
    const failed = await postTx(admins[2] as string, {
      ops: [
        { op: "add_on_nr", key: "n", by: 100 },
        { op: "test_and_set", key: "a", old: { x: 2 }, new: "no" },
        { op: "commit" },
      ],
    });
    assert.equal(failed.status, 409);
    assert.equal(failed.answer.index, 1);
    const n = await postTx(admins[3] as string, { ops: [{ op: "read", key: "n" }, { op: "commit" }] });
    assert.deepEqual(values(n.answer), [3], "the add_on_nr before the failed request was not committed");
  });

  it("selfman tx --ops FILE commits, and names a bad file's problem", async () => {
    const file = path.join(dir, "ops.json");
    await writeFile(file, JSON.stringify({ ops: [{ op: "add_on_nr", key: "n", by: 1 }, { op: "commit" }] }));
    const ran = await selfman("tx", "--ops", file, "--dir", dir, "--json");
    assert.equal(ran.code, 0, ran.stderr);
    const answer = JSON.parse(ran.stdout) as Record<string, unknown>;
    assert.equal(answer.committed, true);
    assert.deepEqual(values(answer), [4]);
    await writeFile(file, JSON.stringify([{ op: "write", key: "k" }]));
    const bad = await selfman("tx", "--ops", file, "--dir", dir);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ops\[0\]\.value/);
  });

  it("concurrent transfers from every node keep the total", async () => {
    const writes = Array.from({ length: ACCOUNTS }, (_, i) => ({
      op: "write",
      key: `account-${i}`,
      value: BALANCE,
    }));
    assert.equal((await postTx(admins[0] as string, { ops: [...writes, { op: "commit" }] })).status, 200);
    const batches = await Promise.all(
      admins.map(async (admin) => {
        const response = await fetch(
          `http://${admin}/bench/tx?workload=transfer&count=200&concurrency=8&keys=${ACCOUNTS}`,
          { signal: AbortSignal.timeout(120_000) },
        );
        return (await response.json()) as { committed: number; failed: number };
      }),
    );
    const committed = batches.reduce((n, b) => n + b.committed, 0);
    assert.ok(committed > 0, "some transfers committed");
    const reads = Array.from({ length: ACCOUNTS }, (_, i) => ({ op: "read", key: `account-${i}` }));
    const totals = await postTx(admins[3] as string, { ops: [...reads, { op: "commit" }] });
    assert.equal(totals.status, 200);
    const total = values(totals.answer).reduce((sum: number, v) => sum + (v as number), 0);
    assert.equal(total, ACCOUNTS * BALANCE, `total after ${committed} transfers`);
  });
});
