// answerJsonRpc never throws (docs/scalaris-api.md §1, §2): random bodies of every kind, on every path,
// against a real one-node ring, answer only 200/404/413/500/501 (200 with JSON or nothing, else "\n").
// Also: 413 over 1 MiB, 500 for reserved keys, percent-decoding undoes percent-encoding.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { singleNode } from "../../src/api/hosted-nodes.js";
import {
  answerJsonRpc,
  JSONRPC_PATHS,
  type JsonRpcContext,
  MAX_BODY_BYTES,
} from "../../src/api/jsonrpc/answer-json-rpc.js";
import { METHOD_TABLES } from "../../src/api/jsonrpc/method-table.js";
import { percentDecode } from "../../src/api/jsonrpc/percent-decoding.js";
import { SYSTEM_PREFIX } from "../../src/api/system-keys.js";
import { type Json, parseJson } from "../../src/wire/lossless-json.js";
import { type JsonRpcTestServer, startJsonRpcServer } from "../helpers/jsonrpc-test-server.js";

const BASE_PORT = 27_510;
const STATUSES = new Set([200, 404, 413, 500, 501]);
/** wait_for_ring_size waits for as long as its random timeout says: it is left out of the random calls. */
const METHODS = [
  ...new Set(Object.values(METHOD_TABLES).flatMap((t) => Object.keys(t))),
  "range_read",
  "no_such",
].filter((m) => m !== "wait_for_ring_size");

const key: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("k1", "k2", "", `${SYSTEM_PREFIX}tlog-secret`) },
  { weight: 2, arbitrary: fc.string() },
  fc.integer(),
);
const tagged: fc.Arbitrary<Json> = fc.oneof(
  fc.record({
    type: fc.constantFrom("as_is", "as_bin", "other"),
    value: fc.jsonValue() as fc.Arbitrary<Json>,
  }),
  fc.record({ type: fc.constant("as_bin"), value: fc.base64String() }),
  fc.record({ value: fc.integer() }),
);
const op: fc.Arbitrary<Json> = fc.oneof(
  key.map((k) => ({ read: k })),
  fc.tuple(fc.string(), tagged).map(([k, v]) => ({ write: { [k]: v } })),
  fc.tuple(fc.string(), fc.jsonValue() as fc.Arbitrary<Json>).map(([k, n]) => ({ add_on_nr: { [k]: n } })),
  fc
    .record({ key, add: fc.jsonValue() as fc.Arbitrary<Json>, del: fc.array(fc.integer()) })
    .map((o) => ({ add_del_on_list: o })),
  fc.record({ key, old: fc.oneof(tagged, fc.string()), new: tagged }).map((o) => ({ test_and_set: o })),
  fc.constant({ commit: "" }),
  fc.jsonValue() as fc.Arbitrary<Json>,
);
const param: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: key },
  { weight: 3, arbitrary: tagged },
  fc.array(op, { maxLength: 6 }),
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.integer({ min: 0, max: 3 }),
);
/** The numbers of params a method takes on any path (none for the unknown ones). */
function aritiesOf(method: string): readonly number[] {
  return Object.values(METHOD_TABLES).flatMap((t) =>
    Object.hasOwn(t, method) ? (t[method]?.arities ?? []) : [],
  );
}
/** Params of a length the method takes (mostly), or of any length, or an object. */
const paramsFor = (method: string): fc.Arbitrary<Json> => {
  const arities = aritiesOf(method);
  const fitting =
    arities.length === 0
      ? fc.array(param, { maxLength: 3 })
      : fc.constantFrom(...arities).chain((n) => fc.array(param, { minLength: n, maxLength: n }));
  return fc.oneof(
    { weight: 6, arbitrary: fitting },
    { weight: 1, arbitrary: fc.array(param, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string(), param, { maxKeys: 2 }) },
  );
};
/** The methods of `where` (mostly), or any method. */
const methodFor = (where: string): fc.Arbitrary<string> => {
  const own = Object.hasOwn(METHOD_TABLES, where) ? Object.keys(METHOD_TABLES[where] ?? {}) : [];
  const served = own.filter((m) => METHODS.includes(m));
  if (served.length === 0) return fc.constantFrom(...METHODS);
  return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...served) }, fc.constantFrom(...METHODS));
};
const callOn = (where: string): fc.Arbitrary<Json> =>
  methodFor(where).chain((method) =>
    fc.record(
      {
        jsonrpc: fc.constant("2.0"),
        method: fc.constant(method),
        params: paramsFor(method),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      },
      { requiredKeys: ["method"] },
    ),
  );
const bodyOn = (where: string): fc.Arbitrary<string> => {
  const call = callOn(where);
  return fc.oneof(
    fc.string({ unit: "binary" }),
    (fc.jsonValue() as fc.Arbitrary<Json>).map((j) => JSON.stringify(j)),
    { weight: 4, arbitrary: call.map((c) => JSON.stringify(c)) },
    { weight: 4, arbitrary: call.map((c) => encodeURIComponent(JSON.stringify(c))) },
    fc.array(call, { maxLength: 3 }).map((b) => JSON.stringify(b)),
    fc.string().map((s) => `%${s}?%7B`),
  );
};
const path = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...JSONRPC_PATHS) },
  fc.constantFrom("/api/nope.yaws", "/"),
);
const httpMethod = fc.oneof({ weight: 10, arbitrary: fc.constant("POST") }, fc.constantFrom("GET", "PUT"));
/** More cases than the default: each is cheap, and the deep paths need many draws to be reached. */
const RUNS = Math.max(400, Number(process.env.SELFMAN_FC_RUNS ?? 0));

describe("answerJsonRpc on random input", { concurrency: false }, () => {
  let server: JsonRpcTestServer;
  let ctx: JsonRpcContext;
  before(async () => {
    server = await startJsonRpcServer(BASE_PORT, 1);
    const node = server.host.member();
    if (node === null) throw new Error("no member");
    // a node that cannot be stopped, so that random vm calls leave the ring as it is
    ctx = { ...server.ctx, nodes: singleNode(node) };
  });
  after(async () => {
    await server.close();
  });

  it("never throws and answers only the statuses of the contract", async () => {
    await fc.assert(
      fc.asyncProperty(
        path.chain((where) => fc.tuple(fc.constant(where), bodyOn(where))),
        httpMethod,
        async ([where, text], method) => {
          const answer = await answerJsonRpc(where, method, text, ctx);
          assert.ok(STATUSES.has(answer.status), `status ${answer.status}`);
          if (answer.status !== 200) assert.equal(answer.body, "\n");
          else if (answer.body !== "") parseJson(answer.body);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a body over 1 MiB is 413 and a reserved key is 500, on every path that takes keys", async () => {
    const big = await answerJsonRpc("/api/tx.yaws", "POST", "[".repeat(MAX_BODY_BYTES + 1), ctx);
    assert.equal(big.status, 413);
    for (const path of ["/api/tx.yaws", "/api/rdht.yaws", "/jsonrpc.yaws"]) {
      const method = path === "/api/rdht.yaws" ? "delete" : "read";
      const reserved = JSON.stringify({ method, params: [`${SYSTEM_PREFIX}tlog-secret`], id: 1 });
      assert.equal((await answerJsonRpc(path, "POST", reserved, ctx)).status, 500, path);
    }
  });

  it("add_on_nr past the largest double answers not_a_number and keeps the value readable", async () => {
    const add = JSON.stringify({ method: "add_on_nr", params: ["huge", 1.5e308], id: 1 });
    const first = await answerJsonRpc("/api/tx.yaws", "POST", add, ctx);
    assert.deepEqual(parseJson(first.body), { result: { status: "ok" }, id: 1, jsonrpc: "2.0" });
    const second = await answerJsonRpc("/api/tx.yaws", "POST", add, ctx);
    assert.deepEqual(parseJson(second.body), {
      result: { status: "fail", reason: "not_a_number" },
      id: 1,
      jsonrpc: "2.0",
    });
    const read = JSON.stringify({ method: "read", params: ["huge"], id: 2 });
    const value = await answerJsonRpc("/api/tx.yaws", "POST", read, ctx);
    assert.deepEqual(parseJson(value.body), {
      result: { status: "ok", value: { type: "as_is", value: 1.5e308 } },
      id: 2,
      jsonrpc: "2.0",
    });
  });

  it("percent-decoding undoes percent-encoding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        assert.equal(percentDecode(encodeURIComponent(s)), s);
      }),
    );
  });
});
