// A Scalaris client from the contract against a real 4-node ring (docs/scalaris-api.md §4, §5, §6, §7):
// single ops, a tlog transaction across calls (a concurrent write aborts it), rdht.delete per replica,
// batches, notifications, ring size, vm shapes, 403, and timeout answers with no ring member.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { singleNode } from "../../src/api/hosted-nodes.js";
import { answerJsonRpc, type JsonRpcContext } from "../../src/api/jsonrpc/answer-json-rpc.js";
import { type Json, parseJson } from "../../src/wire/lossless-json.js";
import { type JsonRpcTestServer, startJsonRpcServer } from "../helpers/jsonrpc-test-server.js";
import { waitFor } from "../helpers/live-cluster.js";
import { asBin, asIs, ScalarisClient, ScalarisConnectionError } from "../helpers/scalaris-client.js";

const BASE_PORT = 27_410;
const TX = "/api/tx.yaws";

const OK = { status: "ok" };

describe("a Scalaris client against selfman", { concurrency: false }, () => {
  let server: JsonRpcTestServer;
  let client: ScalarisClient;
  const key = (name: string) => `c${Date.now()}_${name}`;

  before(async () => {
    server = await startJsonRpcServer(BASE_PORT, 4);
    client = new ScalarisClient(server.url);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it("single ops round-trip tagged values, big integers and binary exactly", async () => {
    const k = key("single");
    assert.deepEqual(await client.read(k), { status: "fail", reason: "not_found" });
    assert.deepEqual(await client.write(k, asIs({ n: 9_223_372_036_854_775_807n, s: "ü" })), OK);
    assert.deepEqual(await client.read(k), {
      status: "ok",
      value: asIs({ n: 9_223_372_036_854_775_807n, s: "ü" }),
    });
    const b = key("bin");
    assert.deepEqual(await client.write(b, asBin(new Uint8Array([0, 255, 7]))), OK);
    assert.deepEqual(await client.read(b), { status: "ok", value: asBin(new Uint8Array([0, 255, 7])) });
    assert.deepEqual(await client.call(TX, "test_and_set", [b, asIs("x"), asIs("y")]), {
      status: "fail",
      reason: "key_changed",
      value: asBin(new Uint8Array([0, 255, 7])),
    });
    const n = key("nr");
    assert.deepEqual(await client.call(TX, "add_on_nr", [n, 2]), OK);
    assert.deepEqual(await client.call(TX, "add_on_nr", [n, 0.5]), OK);
    assert.deepEqual(await client.read(n), { status: "ok", value: asIs(2.5) });
    const l = key("list");
    assert.deepEqual(await client.call(TX, "add_del_on_list", [l, ["a", "b", "a"], ["a"]]), OK);
    assert.deepEqual(await client.read(l), { status: "ok", value: asIs(["b", "a"]) });
    assert.equal(client.sockets.size, 1, "every call went over one kept-alive connection");
  });

  it("a transaction across calls: read in one, write and commit in the next, the write visible after", async () => {
    const k = key("tx");
    await client.write(k, asIs(1));
    const first = await client.reqList([{ read: k }]);
    assert.deepEqual(first.results, [{ status: "ok", value: asIs(1) }]);
    assert.notEqual(first.tlog, "g2o=", "the tlog carries the read");
    const second = await client.reqList(
      [{ write: { [k]: asIs(2) } }, { read: k }, { commit: "" }],
      first.tlog,
    );
    assert.deepEqual(second.results, [OK, { status: "ok", value: asIs(2) }, OK]);
    assert.equal(second.tlog, "g2o=");
    assert.deepEqual(await client.read(k), { status: "ok", value: asIs(2) });
  });

  it("a write by another client between the calls aborts the commit, naming the key", async () => {
    const k = key("race");
    await client.write(k, asIs("a"));
    const first = await client.reqList([{ read: k }]);
    const other = new ScalarisClient(server.url);
    try {
      assert.deepEqual(await other.write(k, asIs("other")), OK);
    } finally {
      other.close();
    }
    const second = await client.reqList([{ write: { [k]: asIs("mine") } }, { commit: "" }], first.tlog);
    assert.deepEqual(second.results, [OK, { status: "fail", reason: "abort", keys: [k] }]);
    assert.deepEqual(await client.read(k), { status: "ok", value: asIs("other") });
  });

  it("a failed op poisons the transaction in a later call; a forged tlog is refused with 500", async () => {
    const k = key("poison");
    await client.write(k, asIs("v"));
    const first = await client.reqList([{ add_on_nr: { [k]: 1 } }, { write: { [key("other")]: asIs(1) } }]);
    assert.deepEqual(first.results, [{ status: "fail", reason: "not_a_number" }, OK]);
    const second = await client.reqList([{ commit: "" }], first.tlog);
    assert.deepEqual(second.results, [{ status: "fail", reason: "abort", keys: [k] }]);
    const forged = `${first.tlog.slice(0, -2)}${first.tlog.endsWith("AA") ? "BB" : "AA"}`;
    await assert.rejects(client.reqList([{ commit: "" }], forged), (e: unknown) => {
      return e instanceof ScalarisConnectionError && e.status === 500;
    });
  });

  it("rdht.delete answers one result per replica, as many as get_replication_factor says", async () => {
    const factor = (await client.call("/api/rt.yaws", "get_replication_factor", [])) as { value: number };
    assert.equal(factor.value, server.ctx.replication);
    const k = key("del");
    await client.write(k, asIs("x"));
    const deleted = (await client.call("/api/rdht.yaws", "delete", [k, 5000])) as {
      ok: number;
      results: string[];
    };
    assert.equal(deleted.results.length, factor.value);
    assert.deepEqual(deleted, { ok: factor.value, results: Array(factor.value).fill("ok") });
    assert.deepEqual(await client.read(k), { status: "fail", reason: "not_found" });
    const again = (await client.call("/api/rdht.yaws", "delete", [k])) as { ok: number; results: string[] };
    assert.deepEqual(again, { ok: 0, results: Array(factor.value).fill("undef") });
  });

  it("a batch answers every call in order; a notification runs and answers nothing", async () => {
    const k = key("batch");
    const results = await client.batch(TX, [
      { method: "write", params: [k, asIs("b")] },
      { method: "read", params: [k] },
      { method: "nop", params: [1] },
      { method: "no_such", params: [] },
    ]);
    assert.deepEqual(results, [OK, { status: "ok", value: asIs("b") }, "ok", { failure: "unknownreq" }]);
    const n = key("notified");
    assert.equal(await client.notify(TX, "write", [n, asIs(5)]), "");
    assert.deepEqual(await client.read(n), { status: "ok", value: asIs(5) });
  });

  it("the ring calls: get_ring_size and wait_for_ring_size see the 4 nodes", async () => {
    assert.equal(await client.call("/jsonrpc.yaws", "get_ring_size", [1000]), 4);
    assert.equal(await client.call("/jsonrpc.yaws", "wait_for_ring_size", [4, 1000]), "ok");
    assert.equal(await client.call("/jsonrpc.yaws", "wait_for_ring_size", [5, 200]), "timeout");
  });

  it("vm on a single node: number_of_nodes, get_nodes, kill_node of an unknown name", async () => {
    const node = server.host.member();
    assert.ok(node !== null);
    const ctx: JsonRpcContext = { ...server.ctx, nodes: singleNode(node) };
    const call = async (method: string, params: readonly Json[]) => {
      const body = JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 });
      const answer = await answerJsonRpc("/api/vm.yaws", "POST", body, ctx);
      assert.equal(answer.status, 200);
      return (parseJson(answer.body) as { result: Json }).result;
    };
    assert.deepEqual(await call("number_of_nodes", []), { status: "ok", value: 1 });
    assert.deepEqual(await call("get_nodes", []), { status: "ok", value: [node.name] });
    assert.deepEqual(await call("kill_node", ["no_such_node"]), { status: "not_found" });
    assert.deepEqual(
      await call("kill_node", [node.name]),
      { status: "not_found" },
      "singleNode cannot be stopped",
    );
    assert.deepEqual(await call("shutdown_nodes_by_name", [[node.name, "x"]]), {
      status: "ok",
      ok: [],
      not_found: [node.name, "x"],
    });
    assert.deepEqual(await call("get_version", []), { status: "ok", value: "0.1.0" });
  });

  it("a token without the scope gets 403 for the whole body; reads stay allowed", async () => {
    const ctx: JsonRpcContext = { ...server.ctx, can: (scope) => scope === "read" };
    const body = (method: string, params: readonly Json[]) =>
      JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 });
    const refused = await answerJsonRpc(TX, "POST", body("write", [key("no"), asIs(1)]), ctx);
    assert.deepEqual([refused.status, refused.body], [403, "\n"]);
    const vm = await answerJsonRpc("/api/vm.yaws", "POST", body("add_nodes", [1]), ctx);
    assert.equal(vm.status, 403);
    const readOnly = await answerJsonRpc(TX, "POST", body("req_list", [[{ read: key("r") }]]), ctx);
    assert.equal(readOnly.status, 200);
  });

  it("with no ring member in the process, store calls answer Scalaris's timeout", async () => {
    const node = server.host.member();
    assert.ok(node !== null);
    const ctx: JsonRpcContext = { ...server.ctx, nodes: { ...singleNode(node), member: () => null } };
    const result = async (path: string, method: string, params: readonly Json[]) => {
      const body = JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 });
      const answer = await answerJsonRpc(path, "POST", body, ctx);
      assert.equal(answer.status, 200);
      return (parseJson(answer.body) as { result: Json }).result;
    };
    const TIMEOUT = { status: "fail", reason: "timeout" };
    assert.deepEqual(await result(TX, "read", ["k"]), TIMEOUT);
    assert.deepEqual(await result(TX, "write", ["k", asIs(1)]), TIMEOUT);
    assert.deepEqual(await result(TX, "req_list", [[{ read: "k" }, { commit: "" }]]), {
      tlog: "g2o=",
      results: [TIMEOUT, TIMEOUT],
    });
    assert.deepEqual(await result("/api/rdht.yaws", "delete", ["k"]), {
      ok: 0,
      results: Array(server.ctx.replication).fill("undef"),
      failure: "timeout",
    });
    assert.equal(await result("/jsonrpc.yaws", "get_ring_size", [100]), 0);
  });

  it("vm on this host: add_nodes starts a node that joins, shutdown_node retires it", async () => {
    const added = (await client.call("/api/vm.yaws", "add_nodes", [1])) as { ok: string[]; failed: string[] };
    assert.equal(added.ok.length, 1);
    assert.deepEqual(added.failed, []);
    assert.deepEqual(await client.call("/api/vm.yaws", "number_of_nodes", []), { status: "ok", value: 5 });
    await waitFor("a ring of 5", 30_000, async () =>
      (await client.call("/jsonrpc.yaws", "get_ring_size", [1000])) === 5 ? true : undefined,
    );
    const name = added.ok[0] as string;
    assert.deepEqual(await client.call("/api/vm.yaws", "shutdown_node", [name]), OK);
    assert.deepEqual(await client.call("/api/vm.yaws", "number_of_nodes", []), { status: "ok", value: 4 });
    assert.deepEqual(await client.call("/api/vm.yaws", "shutdown_node", [name]), { status: "not_found" });
    await waitFor("a ring of 4 again", 30_000, async () =>
      (await client.call("/jsonrpc.yaws", "get_ring_size", [1000])) === 4 ? true : undefined,
    );
    const k = key("after");
    assert.deepEqual(await client.write(k, asIs(1)), OK);
    assert.deepEqual(await client.read(k), { status: "ok", value: asIs(1) });
  });

  it("kill_vm (last: it stops this host's nodes) answers ok, then every node is gone and the API still answers", async () => {
    assert.deepEqual(await client.call("/api/vm.yaws", "kill_vm", []), OK);
    await waitFor("no hosted node left", 10_000, async () => {
      const n = (await client.call("/api/vm.yaws", "number_of_nodes", [])) as { value: number };
      return n.value === 0 ? true : undefined;
    });
    assert.deepEqual(await client.read(key("gone")), { status: "fail", reason: "timeout" });
    assert.equal(await client.call("/api/tx.yaws", "nop", [1]), "ok");
  });
});
