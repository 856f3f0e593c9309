// Whom the API's rate limit counts (docs/api.md §6): by token with tokens, else by address. Must not
// break: without tokens a client cannot dodge the limit — or grow the limiter's table — by sending a new
// Authorization header with each request (the header was the key, so every variant got a fresh bucket).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiNode, startApiNode } from "../helpers/api-node.js";

const NODE_PORT = 29_310;
const API_PORT = 29_311;
const PER_SECOND = 2;

describe("the rate limit without tokens", () => {
  let api: ApiNode;

  before(async () => {
    api = await startApiNode("rate-key", NODE_PORT, API_PORT, { requestsPerSecond: PER_SECOND });
  });
  after(() => api.close());

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
