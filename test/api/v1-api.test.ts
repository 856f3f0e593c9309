// The /v1 API over real HTTP against a real ring of four nodes (docs/api.md): values round-trip exactly
// (integers of any size, binary, unicode keys with slashes), single-key operations, request lists,
// interactive transactions with a sealed tlog, the errors and limits, tokens and scopes, the OpenAPI
// document built from the validating schemas, /metrics, and the event stream seeing a node crash.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { ApiConfigError, type ApiServer, startApiServer } from "../../src/api/api-server.js";
import { appendToAuthFile, newToken } from "../../src/api/api-tokens.js";
import type { HostedNodes } from "../../src/api/hosted-nodes.js";
import { LiveNode } from "../../src/runtime/live-node.js";
import { type Json, parseJson, stringifyJson } from "../../src/wire/lossless-json.js";
import { tempDir } from "../helpers/live-cluster.js";

const PORT = 27_000;

/** The nodes of this test as a process would host them; stopped ones drop out. */
function hosted(nodes: LiveNode[], stopped: Set<LiveNode>): HostedNodes {
  const live = () => nodes.filter((n) => !stopped.has(n));
  return {
    member: () => live().find((n) => n.ring.isMember) ?? null,
    live,
    names: () => live().map((n) => n.name),
    addNodes: async (n) => ({ ok: [], failed: Array.from({ length: n }, (_, i) => `x${i}`) }),
    kill: () => false,
    shutdown: async () => false,
  };
}

async function call(
  base: string,
  method: string,
  route: string,
  body?: Json | string,
  token?: string,
): Promise<{ status: number; json: Json; text: string }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : stringifyJson(body) }),
  });
  const text = await response.text();
  let json: Json = null;
  try {
    json = parseJson(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

const member = (json: Json, name: string): Json => (json as { [k: string]: Json })[name] ?? null;

async function until(
  what: string,
  deadlineMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the /v1 API", () => {
  const nodes: LiveNode[] = [];
  const stopped = new Set<LiveNode>();
  let open: ApiServer;
  let secured: ApiServer;
  let base: string;
  let securedBase: string;
  let admin: string;

  before(async () => {
    const dir = await tempDir("v1");
    for (let i = 0; i < 4; i++)
      nodes.push(
        await LiveNode.start({
          name: `node-${i + 1}`,
          host: "127.0.0.1",
          port: PORT + i,
          join: i === 0 ? null : `127.0.0.1:${PORT}`,
          dataDir: path.join(dir, `node-${i + 1}`),
          tls: null,
          logger: pino({ level: "silent" }),
        }),
      );
    await until("four members", 20_000, () => nodes.every((n) => n.ring.isMember));
    const common = { version: "test", replication: 4, sampleIntervalMs: 200 };
    open = await startApiServer({
      ...common,
      nodes: hosted(nodes, stopped),
      host: "127.0.0.1",
      port: 0,
      authFile: null,
    });
    base = `http://${open.address}`;
    const authFile = path.join(dir, "auth.json");
    const root = newToken(["admin"], "root");
    appendToAuthFile(authFile, root.record);
    admin = root.token;
    secured = await startApiServer({
      ...common,
      nodes: hosted(nodes.slice(0, 2), stopped),
      host: "127.0.0.1",
      port: 0,
      authFile,
    });
    securedBase = `http://${secured.address}`;
    await writeFile(path.join(dir, "ok"), "");
  });
  after(async () => {
    await open.close();
    await secured.close();
    for (const n of nodes) await n.stop();
  });

  it("stores and reads back any value exactly: big integers, binary, nesting, unicode keys with slashes", async () => {
    const values: Json[] = [
      9223372036854775807n,
      100000000000000000000n,
      -123456789012345678901234567890n,
      { deep: [1, 2n ** 70n, { $base64: "AAECAw==" }], "\u0000int": "kept as a member" },
      { $base64: "" },
      "fooƀǣᇥ a\ud83d\ude00b",
      1.5,
      null,
      [],
    ];
    for (const [i, value] of values.entries()) {
      const key = `dir/sub/κλειδί ${i}?&#`;
      const route = `/v1/kv/${encodeURIComponent(key)}`;
      const put = await call(base, "PUT", route, { value });
      assert.equal(put.status, 200, put.text);
      const got = await call(base, "GET", route);
      assert.equal(got.status, 200, got.text);
      assert.equal(member(got.json, "key"), key);
      assert.equal(member(got.json, "found"), true);
      assert.equal(stringifyJson(member(got.json, "value")), stringifyJson(value), `value ${i}`);
    }
    const missing = await call(base, "GET", "/v1/kv/never-written");
    assert.deepEqual(
      [missing.status, member(missing.json, "found"), member(missing.json, "value")],
      [200, false, null],
    );
  });

  it("cas, incr, append, remove and delete follow their rules", async () => {
    const route = "/v1/kv/counter";
    assert.equal((await call(base, "POST", route, { op: "incr", by: 5 })).status, 200);
    const incr = await call(base, "POST", route, { op: "incr" });
    assert.equal(member(incr.json, "value"), 6);
    const miss = await call(base, "POST", route, { op: "cas", expected: 5, value: 0 });
    assert.deepEqual([member(miss.json, "applied"), member(miss.json, "value")], [false, 6]);
    const hit = await call(base, "POST", route, { op: "cas", expected: 6, value: [1] });
    assert.deepEqual([member(hit.json, "applied"), member(hit.json, "value")], [true, [1]]);
    await call(base, "POST", route, { op: "append", value: 2 });
    const removed = await call(base, "POST", route, { op: "remove", value: 1 });
    assert.deepEqual(member(removed.json, "value"), [2]);
    const notNumber = await call(base, "POST", route, { op: "incr", by: 1 });
    assert.equal(notNumber.status, 400, notNumber.text);
    assert.equal((await call(base, "DELETE", route)).status, 200);
    assert.equal(member((await call(base, "GET", route)).json, "found"), false);
  });

  it("runs a request list in one transaction, and interactive steps with a sealed tlog", async () => {
    const list = await call(base, "POST", "/v1/tx", {
      ops: [
        { op: "write", key: "t/a", value: 10n ** 30n },
        { op: "add_on_nr", key: "t/n", by: 2 },
        { op: "add_del_on_list", key: "t/l", add: ["x", "y", "x"], del: ["x"] },
        { op: "read", key: "t/a" },
      ],
    });
    assert.equal(list.status, 200, list.text);
    assert.equal(member(list.json, "committed"), true);
    const results = member(list.json, "results") as Json[];
    assert.equal(stringifyJson(member(results[3] ?? null, "value")), "1000000000000000000000000000000");
    assert.deepEqual(member(results[2] ?? null, "value"), ["y", "x"]);
    // step 1 reads; another client writes; the commit of step 2 must abort with the key
    const step = await call(base, "POST", "/v1/tx", { ops: [{ op: "read", key: "t/n" }], commit: false });
    assert.equal(step.status, 200, step.text);
    const tlog = member(step.json, "tlog") as string;
    assert.equal(typeof tlog, "string");
    assert.equal((await call(base, "PUT", "/v1/kv/t%2Fn", { value: 100 })).status, 200);
    const late = await call(base, "POST", "/v1/tx", { ops: [{ op: "write", key: "t/n", value: 3 }], tlog });
    assert.equal(late.status, 409, late.text);
    assert.deepEqual([member(late.json, "error"), member(late.json, "keys")], ["conflict", ["t/n"]]);
    // without interference the same two steps commit, and the step's read sees its own write
    const first = await call(base, "POST", "/v1/tx", {
      ops: [
        { op: "write", key: "t/b", value: "mine" },
        { op: "read", key: "t/b" },
      ],
      commit: false,
    });
    assert.equal(member((member(first.json, "results") as Json[])[1] ?? null, "value"), "mine");
    const second = await call(base, "POST", "/v1/tx", { ops: [], tlog: member(first.json, "tlog") });
    assert.equal(member(second.json, "committed"), true, second.text);
    assert.equal(member((await call(base, "GET", "/v1/kv/t%2Fb")).json, "value"), "mine");
    // a tlog changed by one character is refused
    const forged = `${tlog.slice(0, 10)}${tlog[10] === "A" ? "B" : "A"}${tlog.slice(11)}`;
    const refused = await call(base, "POST", "/v1/tx", { ops: [], tlog: forged });
    assert.equal(refused.status, 400, refused.text);
    assert.match(String(member(refused.json, "message")), /tlog/);
  });

  it("a failed transaction's error carries a current value beyond 2^53 exactly (was a 500)", async () => {
    assert.equal((await call(base, "PUT", "/v1/kv/t%2Fbig", { value: 2n ** 80n })).status, 200);
    const failed = await call(base, "POST", "/v1/tx", {
      ops: [{ op: "test_and_set", key: "t/big", old: 1, new: 2n ** 90n }],
    });
    assert.equal(failed.status, 409, failed.text);
    assert.equal(member(failed.json, "error"), "request-failed");
    const [result] = member(failed.json, "results") as Json[];
    assert.equal(stringifyJson(member(result ?? null, "value")), (2n ** 80n).toString());
  });

  it("refuses bad requests with a clear JSON error and the right status", async () => {
    const cases: [string, string, string | Json | undefined, number, RegExp][] = [
      ["PUT", "/v1/kv/a", "{not json", 400, /not JSON/],
      ["PUT", "/v1/kv/a", { value: 1, extra: 2 }, 400, /body\.extra/],
      ["PUT", "/v1/kv/a", {}, 400, /body\.value/],
      ["POST", "/v1/tx", { ops: [{ op: "reed", key: "a" }] }, 400, /body\.ops\[0\]\.op/],
      ["PUT", "/v1/kv/a", `{"value":${"[".repeat(100)}${"]".repeat(100)}}`, 400, /nested deeper/],
      ["PUT", "/v1/kv/a", `{"value":"${"x".repeat(1 << 20)}"}`, 413, /at most/],
      ["PUT", `/v1/kv/${"k".repeat(2000)}`, { value: 1 }, 400, /key/],
      ["PUT", "/v1/kv/%00selfman%2Ftokens%2Fx", { value: 1 }, 403, /selfman's own/],
      ["GET", "/v1/nowhere", undefined, 404, /openapi/],
      ["POST", "/v1/tx", { ops: [], tlog: "garbage!" }, 400, /tlog/],
    ];
    for (const [method, route, body, status, message] of cases) {
      const answer = await call(base, method, route, body);
      assert.equal(answer.status, status, `${method} ${route.slice(0, 40)}: ${answer.text.slice(0, 200)}`);
      assert.match(String(member(answer.json, "message")), message);
    }
  });

  it("needs a token with the right scope once tokens are on", async () => {
    assert.equal((await call(securedBase, "GET", "/v1/kv/a")).status, 401);
    assert.equal(
      (await call(securedBase, "GET", "/v1/kv/a", undefined, "smt_0000000000000000_wrong")).status,
      401,
    );
    assert.equal((await call(securedBase, "GET", "/health")).status, 200);
    const created = await call(
      securedBase,
      "POST",
      "/v1/tokens",
      { scopes: ["read"], name: "reader" },
      admin,
    );
    assert.equal(created.status, 200, created.text);
    const reader = member(created.json, "token") as string;
    assert.equal((await call(securedBase, "GET", "/v1/kv/a", undefined, reader)).status, 200);
    const write = await call(securedBase, "PUT", "/v1/kv/a", { value: 1 }, reader);
    assert.deepEqual([write.status, member(write.json, "error")], [403, "forbidden"]);
    assert.equal((await call(securedBase, "POST", "/v1/vm/nodes", { count: 1 }, reader)).status, 403);
    assert.equal((await call(securedBase, "PUT", "/v1/kv/a", { value: 1 }, admin)).status, 200);
    // the reader token, stored in selfman, works on the other server too (it reads the same store)
    assert.equal((await call(base, "GET", "/v1/kv/a", undefined, reader)).status, 200);
    const revoked = await call(
      securedBase,
      "DELETE",
      `/v1/tokens/${member(created.json, "id")}`,
      undefined,
      admin,
    );
    assert.equal(revoked.status, 200);
    assert.equal((await call(securedBase, "GET", "/v1/kv/a", undefined, reader)).status, 401);
  });

  it("refuses to serve a non-loopback address without tokens", async () => {
    await assert.rejects(
      startApiServer({
        nodes: hosted(nodes, stopped),
        host: "0.0.0.0",
        port: 0,
        authFile: null,
        version: "t",
        replication: 4,
      }),
      (e: unknown) => e instanceof ApiConfigError && /without tokens/.test(e.message),
    );
  });

  it("describes every route in an OpenAPI 3.1 document built from the validating schemas", async () => {
    const doc = (await call(base, "GET", "/v1/openapi.json")).json as { [k: string]: Json };
    assert.equal(doc.openapi, "3.1.0");
    const paths = doc.paths as { [k: string]: { [m: string]: Json } };
    for (const p of ["/v1/kv/{key}", "/v1/tx", "/v1/lookup/{key}", "/v1/events", "/v1/tokens"])
      assert.ok(paths[p], p);
    const tx = stringifyJson(paths["/v1/tx"]?.post ?? null);
    for (const op of ["read", "write", "delete", "add_on_nr", "add_del_on_list", "test_and_set"])
      assert.ok(tx.includes(`"const":"${op}"`), op);
    // what the document calls required is what the server requires
    const put = await call(base, "PUT", "/v1/kv/x", {});
    assert.equal(put.status, 400);
    assert.ok(stringifyJson(paths["/v1/kv/{key}"]?.put ?? null).includes('"required":["value"]'));
  });

  it("shows the whole ring from any server: /v1/ring surveys the APIs in the cluster's directory", async () => {
    const ring = (await call(base, "GET", "/v1/ring")).json as { [k: string]: Json };
    assert.equal(ring.perfect, true, stringifyJson(ring.problem ?? null));
    const names = (ring.nodes as { name: string }[]).map((n) => n.name).sort();
    assert.deepEqual([...new Set(names)], ["node-1", "node-2", "node-3", "node-4"]);
  });

  it("the key inspector finds a key's four replicas a quarter-ring apart, their nodes, and the version each holds", async () => {
    assert.equal((await call(base, "PUT", "/v1/kv/inspected", { value: "seen" })).status, 200);
    const answer = await call(base, "GET", "/v1/replicas/inspected");
    assert.equal(answer.status, 200);
    const report = answer.json as {
      replicas: {
        id: string;
        holder: { name: string } | null;
        hops: number | null;
        held: { version: number; value: Json } | null;
      }[];
      majority: { version: number; replicas: number } | null;
      agree: boolean;
    };
    assert.equal(report.replicas.length, 4);
    const ids = report.replicas.map((r) => BigInt(r.id));
    for (const [i, id] of ids.entries())
      assert.equal(
        (id - (ids[0] ?? 0n) + 2n ** 128n) % 2n ** 128n,
        (2n ** 128n / 4n) * BigInt(i),
        `replica ${i}'s id`,
      );
    for (const r of report.replicas) {
      assert.ok(
        ["node-1", "node-2", "node-3", "node-4"].includes(r.holder?.name ?? ""),
        `holder ${r.holder?.name}`,
      );
      assert.ok(r.hops !== null && r.hops >= 0);
    }
    // a put answers once a majority wrote; the fourth replica may follow a moment later
    assert.ok(report.replicas.filter((r) => r.held?.version === 1 && r.held.value === "seen").length >= 3);
    assert.deepEqual(report.majority?.version, 1);
    assert.ok((report.majority?.replicas ?? 0) >= 3);
    const missing = await call(base, "GET", "/v1/replicas/never-written");
    assert.deepEqual((missing.json as { majority: unknown }).majority, { version: 0, replicas: 4 });
  });

  it("serves /metrics, /health and /ready, and streams a crash as events", async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      "selfman_ring_member",
      "selfman_api_requests_total",
      "selfman_transport_frames_total",
    ])
      assert.ok(metrics.includes(name), name);
    assert.equal((await call(base, "GET", "/ready")).status, 200);
    const seen: string[] = [];
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/events`, { signal: controller.signal });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        for (const line of decoder.decode(value).split("\n"))
          if (line.startsWith("event: ")) seen.push(line.slice(7));
      }
    })();
    const victim = nodes[3] as LiveNode;
    stopped.add(victim);
    await victim.stop();
    await until("a suspicion or a leave in the event stream", 20_000, () =>
      seen.some((kind) => kind === "suspect" || kind === "leave"),
    );
    controller.abort();
    await reading;
  });
});
