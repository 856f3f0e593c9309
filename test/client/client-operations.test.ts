// Single-key operations, cluster reads and typed errors (docs/client.md §2, §6, §7) against the stand-in
// server of stand-in-cluster.ts: results have the documented shapes, integers of any size and binary values
// round-trip exactly, and every failure is a SelfmanError with the server's code.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { connect, RequestFailedError, SelfmanError, type Value } from "../../src/client/index.js";
import { StandInCluster } from "./stand-in-cluster.js";

/** Values the API stores: JSON with integers of any size and binary data (no $base64 look-alikes). */
const values: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((d) => !Object.is(d, -0) && (!Number.isInteger(d) || Number.isSafeInteger(d))),
    fc.bigInt({ min: -(1n << 128n), max: 1n << 128n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
    fc.string(),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(
      fc.string().filter((k) => k !== "$base64"),
      tie("value"),
      { maxKeys: 3, noNullPrototype: true },
    ),
  ),
})).value;

describe("client operations", () => {
  const cluster = new StandInCluster(1, "s3cret");
  before(() => cluster.start());
  after(() => cluster.stop());
  const client = () => connect(cluster.urls, { token: "s3cret" });

  it("round-trips any value, bigints and binary included, under any key", async () => {
    const db = client();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), values, async (key, value) => {
        const put = await db.put(key, value);
        const got = await db.get(key);
        assert.equal(got.found, true);
        assert.equal(got.version, put.version);
        assert.deepStrictEqual(got.value, value);
      }),
      { numRuns: 60 },
    );
    const big = 2n ** 64n + 1n;
    await db.put("big", { n: big, bytes: new Uint8Array([0, 255, 7]) });
    assert.deepStrictEqual((await db.get("big")).value, { n: big, bytes: new Uint8Array([0, 255, 7]) });
  });

  it("reports a missing key as not found, and delete as a new version", async () => {
    const db = client();
    assert.deepStrictEqual(await db.get("never-written"), { found: false, value: null, version: 0 });
    const { version } = await db.put("doomed", "x");
    // the /v1 DELETE answer does not say whether the key held a value
    assert.deepStrictEqual(await db.delete("doomed"), { found: null, version: version + 1 });
    assert.equal((await db.get("doomed")).found, false);
  });

  it("cas applies only on the expected value and reports the current one otherwise", async () => {
    const db = client();
    assert.equal((await db.cas("c", null, "first")).applied, true);
    const missed = await db.cas("c", "nope", "second");
    assert.deepStrictEqual([missed.applied, missed.value], [false, "first"]);
    const hit = await db.cas("c", "first", "second");
    assert.deepStrictEqual([hit.applied, hit.value], [true, "second"]);
  });

  it("incr counts exactly beyond 2^53, and append/remove edit lists", async () => {
    const db = client();
    await db.put("n", 2n ** 53n);
    assert.equal((await db.incr("n")).value, 2n ** 53n + 1n);
    assert.equal((await db.incr("n", -(2n ** 53n))).value, 1);
    assert.equal((await db.incr("fresh")).value, 1);
    await db.append("l", "a");
    await db.append("l", new Uint8Array([1]));
    assert.deepStrictEqual((await db.remove("l", "a")).value, [new Uint8Array([1])]);
  });

  it("reads the lookup, the ring and the status", async () => {
    const db = client();
    const lookup = await db.lookup("k/1");
    assert.equal(lookup.key, "k/1");
    assert.equal(lookup.id, (2n ** 127n + 5n).toString());
    assert.equal(lookup.responsible.addr, cluster.node(0).url);
    const ring = await db.ring();
    assert.equal(ring.perfect, true);
    assert.equal(ring.branches, 0, "members the client does not know pass through");
    assert.equal((await db.status()).serving, true);
  });

  it("runs a request list, and a failing one throws RequestFailedError with nothing committed", async () => {
    const db = client();
    const outcome = await db.requestList([
      { op: "write", key: "a", value: 1 },
      { op: "add_on_nr", key: "a", by: 2 },
      { op: "read", key: "a" },
    ]);
    assert.equal(outcome.committed, true);
    assert.deepStrictEqual(outcome.results[2], { ok: true, value: 3, found: true });
    const failing = db.requestList([
      { op: "write", key: "a", value: 100 },
      { op: "test_and_set", key: "a", old: "not this", new: 0 },
    ]);
    await assert.rejects(failing, (e: unknown) => e instanceof RequestFailedError && e.index === 1);
    assert.equal((await db.get("a")).value, 3);
  });

  it("a request list with commit: false reports what it would do and changes nothing", async () => {
    const db = client();
    await db.put("dry", 10);
    const outcome = await db.requestList(
      [
        { op: "add_on_nr", key: "dry", by: 5 },
        { op: "read", key: "dry" },
      ],
      { commit: false },
    );
    assert.equal(outcome.committed, false);
    assert.deepStrictEqual(outcome.results[1], { ok: true, value: 15, found: true });
    assert.equal((await db.get("dry")).value, 10, "nothing was committed");
  });

  it("throws typed errors with the server's code and status", async () => {
    const db = client();
    await db.put("text", "hello");
    await assert.rejects(db.incr("text"), (e: unknown) => {
      return e instanceof SelfmanError && e.code === "invalid-argument" && e.status === 400;
    });
    const stranger = connect(cluster.urls, { token: "wrong" });
    await assert.rejects(
      stranger.get("text"),
      (e: unknown) => e instanceof SelfmanError && e.code === "unauthenticated",
    );
    await assert.rejects(db.put("x", { $base64: "AAAA" }), (e: unknown) => {
      return e instanceof SelfmanError && e.code === "invalid-argument" && e.status === null;
    });
    await assert.rejects(
      db.put("x", Number.NaN),
      (e: unknown) => e instanceof SelfmanError && e.code === "invalid-argument",
    );
    assert.throws(
      () => connect([]),
      (e: unknown) => e instanceof SelfmanError && e.code === "invalid-argument",
    );
    assert.throws(
      () => connect("ftp://x"),
      (e: unknown) => e instanceof SelfmanError && e.code === "invalid-argument",
    );
  });

  it("waits out a 429 on the same node and then succeeds", async () => {
    const db = client();
    const node = cluster.node(0);
    node.faults.push({
      method: "GET",
      pathPrefix: "/v1/kv/limited",
      action: {
        kind: "answer",
        status: 429,
        body: { error: "rate-limited", message: "slow down" },
        headers: { "retry-after": "0" },
      },
    });
    assert.equal((await db.get("limited")).found, false);
    assert.equal(node.faults.length, 0);
  });

  it("close() refuses further calls with code closed", async () => {
    const db = client();
    db.close();
    await assert.rejects(db.get("a"), (e: unknown) => e instanceof SelfmanError && e.code === "closed");
  });
});
