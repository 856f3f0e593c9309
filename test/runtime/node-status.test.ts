// /status has one type (src/runtime/node-status.ts): what a real node builds survives JSON and parses
// back as itself; an answer with a field missing or of the wrong type is refused with an error that
// names the node and the field; the ring survey reports such a node as malformed instead of reading it.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { type ApiServer, startApiServer } from "../../src/api/api-server.js";
import { singleNode } from "../../src/api/hosted-nodes.js";
import { surveyRing } from "../../src/api/ring-survey.js";
import { fetchNodeStatus } from "../../src/runtime/admin-client.js";
import { LiveNode } from "../../src/runtime/live-node.js";
import { MalformedStatusError, type NodeStatus, parseNodeStatus } from "../../src/runtime/node-status.js";
import { tempDir } from "../helpers/live-cluster.js";

const PORT = 23_100;

/** A plain copy of `value` with the field at `path` (dot-separated) set to `to` (undefined: removed). */
function edited(value: unknown, at: string, to: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  const steps = at.split(".");
  let obj = copy;
  for (const step of steps.slice(0, -1)) obj = obj[step] as Record<string, unknown>;
  const last = steps[steps.length - 1] as string;
  if (to === undefined) delete obj[last];
  else obj[last] = to;
  return copy;
}

describe("node status", () => {
  let node: LiveNode;
  let admin: ApiServer;
  let garbage: http.Server;
  let status: NodeStatus;

  before(async () => {
    const dir = await tempDir("status");
    node = await LiveNode.start({
      name: "node-1",
      host: "127.0.0.1",
      port: PORT,
      join: null,
      dataDir: path.join(dir, "node-1"),
      tls: null,
      logger: pino({ level: "silent" }),
    });
    admin = await startApiServer({
      nodes: singleNode(node),
      host: "127.0.0.1",
      port: PORT + 1,
      authFile: null,
      version: "test",
      replication: 4,
    });
    garbage = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(edited(status, "succ", { id: "12", addr: "x:1" })));
    });
    await new Promise<void>((resolve) => garbage.listen(PORT + 2, "127.0.0.1", resolve));
    status = await fetchNodeStatus(`127.0.0.1:${PORT + 1}`, 2000);
  });
  after(async () => {
    await admin.close();
    garbage.closeAllConnections();
    await new Promise((resolve) => garbage.close(resolve));
    await node.stop();
  });

  it("what a node builds parses back as itself", () => {
    assert.equal(status.name, "node-1");
    assert.equal(status.pid, process.pid);
    assert.equal(status.id, node.self.id.toString());
    assert.deepEqual(parseNodeStatus(JSON.parse(JSON.stringify(node.status())), "here").name, "node-1");
    assert.equal(typeof status.store.items, "number");
    assert.equal(typeof status.transport.dropped["bad-shape"], "number");
  });

  it("refuses a missing or mistyped field, naming the node and the field", () => {
    const cases: [string, unknown, RegExp][] = [
      ["member", undefined, /status\.member: expected a boolean/],
      ["pred", { id: 5, addr: "a:1", nonce: 1 }, /status\.pred\.id: expected a string/],
      ["succList", "none", /status\.succList: expected an array/],
      ["transport.dropped.oversized", -1, /status\.transport\.dropped\.oversized/],
      ["store.items", undefined, /status\.store\.items/],
      ["extra", 1, /status\.extra: expected no such field/],
    ];
    for (const [field, to, message] of cases) {
      assert.throws(
        () => parseNodeStatus(edited(status, field, to), "http://n1/status"),
        (error: unknown) =>
          error instanceof MalformedStatusError &&
          error.message.startsWith("http://n1/status answered a malformed /status") &&
          message.test(error.message),
        field,
      );
    }
  });

  it("the survey reports a malformed answer and does not read it", async () => {
    const bad = `127.0.0.1:${PORT + 2}`;
    await assert.rejects(fetchNodeStatus(bad, 2000), /status\.succ\.nonce: expected an integer/);
    const survey = await surveyRing([`127.0.0.1:${PORT + 1}`, bad, `127.0.0.1:${PORT + 3}`]);
    assert.deepEqual(
      survey.nodes.map((n) => n.name),
      ["node-1"],
    );
    assert.deepEqual(survey.unreachable, [`127.0.0.1:${PORT + 3}`]);
    assert.equal(survey.malformed.length, 1);
    assert.match(survey.malformed[0] ?? "", new RegExp(`${bad}/v1/nodes answered a malformed`));
  });
});
