// Whom the API's rate limit counts (docs/api.md §6): by token with tokens, else by address. Must not
// break: without tokens a client cannot dodge the limit — or grow the limiter's table — by sending a new
// Authorization header with each request (the header was the key, so every variant got a fresh bucket).
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { type ApiServer, startApiServer } from "../../src/api/api-server.js";
import { singleNode } from "../../src/api/hosted-nodes.js";
import { LiveNode } from "../../src/runtime/live-node.js";
import { tempDir, waitFor } from "../helpers/live-cluster.js";

const NODE_PORT = 29_310;
const API_PORT = 29_311;
const PER_SECOND = 2;

describe("the rate limit without tokens", () => {
  let node: LiveNode;
  let server: ApiServer;

  before(async () => {
    const dir = await tempDir("rate-key");
    node = await LiveNode.start({
      name: "rate-key",
      host: "127.0.0.1",
      port: NODE_PORT,
      join: null,
      dataDir: path.join(dir, "node"),
      tls: null,
      logger: pino({ level: "silent" }),
    });
    await waitFor("a ring member", 10_000, async () => (node.ring.isMember ? true : undefined));
    server = await startApiServer({
      nodes: singleNode(node),
      host: "127.0.0.1",
      port: API_PORT,
      authFile: null,
      version: "test",
      replication: 4,
      limits: { requestsPerSecond: PER_SECOND },
    });
  });
  after(async () => {
    await server.close();
    await node.stop();
  });

  it("counts a client by its address, whatever Authorization header it sends", async () => {
    const statuses: number[] = [];
    // the burst is twice the rate: a few more than that, each with its own made-up header
    for (let i = 0; i < 3 * PER_SECOND; i++) {
      const response = await fetch(`http://127.0.0.1:${API_PORT}/v1/status`, {
        headers: { authorization: `Bearer made-up-${i}` },
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.ok(statuses.includes(429), `no request was limited: ${statuses.join(", ")}`);
  });
});
