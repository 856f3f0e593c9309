// A Scalaris client written from the contract (test/helpers/scalaris-client.ts) against `selfman start`
// through its JSON-RPC front port (docs/scalaris-api.md §4–§7, docs/live-runtime.md §7.1): single ops, a
// transaction across calls, rdht.delete, and the vm calls with number_of_nodes and the ring following.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "../../src/wire/lossless-json.js";
import { clusterDown, tempDir, waitFor } from "../helpers/live-cluster.js";
import { asIs, ScalarisClient } from "../helpers/scalaris-client.js";
import { type StartedSelfman, spawnSelfmanStart } from "../helpers/selfman-start.js";

const BASE_PORT = 29_850;
const PAGE_PORT = 29_840;
const RPC_PORT = 29_841;
const API_PORT = 29_842;
/**
 * Six nodes, not npm start's eight: get_ring_size counts a node and its successor list (8 long), so it
 * is exact up to 9 members, and this ring grows to 8.
 */
const NODES = 6;
const TX = "/api/tx.yaws";
const VM = "/api/vm.yaws";
const RING = "/jsonrpc.yaws";
/** Joins, and a crash detected and repaired (docs/relaxed-ring.md §5), with room for a slow machine. */
const RING_DEADLINE_MS = 30_000;
const OK = { status: "ok" };

describe("a Scalaris client through npm start's JSON-RPC front port", { concurrency: false }, () => {
  let dir = "";
  let start: StartedSelfman | null = null;
  let client: ScalarisClient;
  const key = (name: string) => `npm_start_${name}`;

  const ringSize = async (): Promise<number> => Number(await client.call(RING, "get_ring_size", [1000]));
  const waitForRing = (size: number) =>
    waitFor(`a ring of ${size}`, RING_DEADLINE_MS, async () =>
      (await ringSize()) === size ? true : undefined,
    );
  const numberOfNodes = () => client.call(VM, "number_of_nodes", []);

  before(async () => {
    dir = await tempDir("scalaris-start");
    start = spawnSelfmanStart(
      dir,
      { basePort: BASE_PORT, pagePort: PAGE_PORT, rpcPort: RPC_PORT, apiPort: API_PORT },
      ["--nodes", String(NODES)],
    );
    await start.running();
    client = new ScalarisClient(`http://127.0.0.1:${RPC_PORT}`);
    await waitForRing(NODES);
  });
  after(async () => {
    client?.close();
    start?.child.kill("SIGKILL");
    if (dir !== "") await clusterDown(dir);
  });

  it("single operations round-trip their tagged values", async () => {
    const k = key("single");
    assert.deepEqual(await client.read(k), { status: "fail", reason: "not_found" });
    assert.deepEqual(await client.write(k, asIs({ n: 9_223_372_036_854_775_807n, s: "ü" })), OK);
    assert.deepEqual(await client.read(k), {
      status: "ok",
      value: asIs({ n: 9_223_372_036_854_775_807n, s: "ü" }),
    });
    assert.deepEqual(await client.call(TX, "test_and_set", [k, asIs("x"), asIs("y")]), {
      status: "fail",
      reason: "key_changed",
      value: asIs({ n: 9_223_372_036_854_775_807n, s: "ü" }),
    });
    const n = key("nr");
    assert.deepEqual(await client.call(TX, "add_on_nr", [n, 2]), OK);
    assert.deepEqual(await client.call(TX, "add_on_nr", [n, 3]), OK);
    assert.deepEqual(await client.read(n), { status: "ok", value: asIs(5) });
  });

  it("a transaction across two calls: the tlog carries the read, the write is visible after the commit", async () => {
    const k = key("tx");
    const other = key("tx_other");
    await client.write(k, asIs(1));
    const first = await client.reqList([{ read: k }]);
    assert.deepEqual(first.results, [{ status: "ok", value: asIs(1) }]);
    const second = await client.reqList(
      [{ write: { [k]: asIs(2) } }, { write: { [other]: asIs("with it") } }, { commit: "" }],
      first.tlog,
    );
    assert.deepEqual(second.results, [OK, OK, OK]);
    assert.deepEqual(await client.read(k), { status: "ok", value: asIs(2) });
    assert.deepEqual(await client.read(other), { status: "ok", value: asIs("with it") });
  });

  it("rdht.delete answers one result per replica, as many as get_replication_factor says", async () => {
    const factor = (await client.call("/api/rt.yaws", "get_replication_factor", [])) as { value: number };
    assert.ok(factor.value >= 1);
    const k = key("del");
    await client.write(k, asIs("x"));
    const deleted = (await client.call("/api/rdht.yaws", "delete", [k, 5000])) as {
      ok: number;
      results: string[];
    };
    assert.equal(deleted.results.length, factor.value);
    assert.deepEqual(deleted, { ok: factor.value, results: Array(factor.value).fill("ok") });
    assert.deepEqual(await client.read(k), { status: "fail", reason: "not_found" });
  });

  it("vm: add_nodes(2), kill_node, shutdown_nodes(1); number_of_nodes and the ring follow each", async () => {
    const hosted = (await numberOfNodes()) as { status: string; value: number };
    assert.equal(hosted.status, "ok");
    const base = hosted.value;
    assert.ok(base >= 1, "the process behind the connection hosts a node");

    const added = (await client.call(VM, "add_nodes", [2])) as {
      status: string;
      ok: string[];
      failed: Json[];
    };
    assert.deepEqual([added.status, added.ok.length, added.failed], ["ok", 2, []]);
    assert.deepEqual(await numberOfNodes(), { status: "ok", value: base + 2 });
    await waitForRing(NODES + 2);
    const names = (await client.call(VM, "get_nodes", [])) as { value: string[] };
    for (const name of added.ok) assert.ok(names.value.includes(name), `${name} is hosted`);

    const [crashed] = added.ok as [string];
    assert.deepEqual(await client.call(VM, "kill_node", [crashed]), OK);
    assert.deepEqual(await numberOfNodes(), { status: "ok", value: base + 1 });
    assert.deepEqual(await client.call(VM, "kill_node", [crashed]), { status: "not_found" });
    await waitForRing(NODES + 1);

    // shutdown_nodes stops the n started last: the last of get_nodes' list (docs/scalaris-api.md §7)
    const before = (await client.call(VM, "get_nodes", [])) as { value: string[] };
    const shut = (await client.call(VM, "shutdown_nodes", [1])) as { status: string; ok: string[] };
    assert.deepEqual(shut, { status: "ok", ok: before.value.slice(-1) });
    assert.deepEqual(await numberOfNodes(), { status: "ok", value: base });
    await waitForRing(NODES);

    const k = key("after_vm");
    assert.deepEqual(await client.write(k, asIs("still here")), OK);
    assert.deepEqual(await client.read(k), { status: "ok", value: asIs("still here") });
    assert.equal(client.sockets.size, 1, "every call went over the one kept-alive connection");
  });
});
