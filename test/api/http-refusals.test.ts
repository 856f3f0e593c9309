// What the API server answers to requests no route may see (docs/api.md §4, §6), each a case the fuzz test
// found: CONNECT, a strange Expect, no Host, refused targets, upgrades, slow and half-sent requests. Must not
// break: the JSON error shape, the connection closed, the timeouts held, and a client's abort is no 500.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiConfigError, startApiServer } from "../../src/api/api-server.js";
import { singleNode } from "../../src/api/hosted-nodes.js";
import { type ApiNode, startApiNode } from "../helpers/api-node.js";
import { waitFor } from "../helpers/live-cluster.js";
import { type RawAnswer, RawConnection } from "../helpers/raw-http.js";

const NODE_PORT = 29_300;
const API_PORT = 29_301;
const HEADER_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;
/** The check interval (a quarter of the shorter timeout) and event-loop lag on a loaded machine. */
const SLACK_MS = 700;

/** Sends `text` on a new connection and reads one answer; the connection is returned for more checks. */
async function exchange(
  text: string,
  head = false,
): Promise<{ answer: RawAnswer; connection: RawConnection }> {
  const connection = await RawConnection.open(API_PORT);
  connection.send([Buffer.from(text, "latin1")], 0);
  const answer = await connection.answer(head, 5000);
  if ("problem" in answer) {
    connection.destroy();
    throw new Error(
      `no answer to ${JSON.stringify(text.slice(0, 60))}: ${answer.problem} ${answer.received}`,
    );
  }
  return { answer, connection };
}

/** The answer is the JSON error shape with this status and code, and the server closes the connection. */
async function assertRefused(text: string, status: number, code: string): Promise<void> {
  const { answer, connection } = await exchange(text);
  try {
    assert.equal(answer.status, status, `${text.slice(0, 40)}: ${answer.body.toString()}`);
    const body = JSON.parse(answer.body.toString()) as { error: unknown; message: unknown };
    assert.equal(body.error, code);
    assert.equal(typeof body.message, "string");
    assert.ok(await connection.closedWithin(2000), "the connection is closed after the refusal");
  } finally {
    connection.destroy();
  }
}

describe("the API server's refusals before any route", () => {
  let api: ApiNode;

  before(async () => {
    api = await startApiNode("refusals", NODE_PORT, API_PORT, {
      headersTimeoutMs: HEADER_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  });
  after(() => api.close());

  it("CONNECT gets 405 (it was closed unanswered)", async () => {
    await assertRefused(
      "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
      405,
      "method-not-allowed",
    );
  });

  it("an Expect other than 100-continue gets a JSON 417; 100-continue is served", async () => {
    await assertRefused(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\n\r\n",
      417,
      "invalid-argument",
    );
    const body = '{"value":1}';
    const { answer, connection } = await exchange(
      `PUT /v1/kv/expect HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    connection.destroy();
    assert.equal(answer.status, 200, answer.body.toString());
  });

  it("HTTP/1.1 without Host gets a JSON 400; HTTP/1.0 without Host is served", async () => {
    await assertRefused("GET /health HTTP/1.1\r\n\r\n", 400, "invalid-argument");
    const { answer, connection } = await exchange("GET /health HTTP/1.0\r\n\r\n");
    connection.destroy();
    assert.equal(answer.status, 200, answer.body.toString());
  });

  it("a target or Host the URL parser refuses gets a JSON 400 (was an empty 400)", async () => {
    await assertRefused("GET /v1/kv/a\\b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid-argument");
    await assertRefused("GET /v1/kv/a HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid-argument");
  });

  it("a change asked by another site's page, or any Host but loopback without tokens, gets 403", async () => {
    const status = async (text: string): Promise<number> => {
      const { answer, connection } = await exchange(text);
      connection.destroy();
      return answer.status;
    };
    const body = '{"value":1}';
    const put = (host: string, extra: string) =>
      `PUT /v1/kv/cross HTTP/1.1\r\nHost: ${host}\r\n${extra}content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const tx = (extra: string) => {
      const list = '{"ops":[{"op":"write","key":"cross","value":2}]}';
      return `POST /v1/tx HTTP/1.1\r\nHost: 127.0.0.1:${API_PORT}\r\n${extra}content-type: application/json\r\ncontent-length: ${list.length}\r\n\r\n${list}`;
    };
    const self = `127.0.0.1:${API_PORT}`;
    // the fast path (PUT /v1/kv) and a hono route (POST /v1/tx) alike
    for (const extra of [
      "Origin: http://evil.example\r\n",
      "Sec-Fetch-Site: cross-site\r\n",
      "Origin: null\r\n",
    ]) {
      assert.equal(await status(put(self, extra)), 403, extra);
      assert.equal(await status(tx(extra)), 403, extra);
    }
    assert.equal(await status(`GET /v1/kv/cross HTTP/1.1\r\nHost: evil.example:${API_PORT}\r\n\r\n`), 403);
    assert.equal(await status(`GET /health HTTP/1.1\r\nHost: rebound.example\r\n\r\n`), 403);
    // the dashboard's own requests (same origin), and clients that send no Origin, are served
    assert.equal(await status(put(self, `Origin: http://${self}\r\nSec-Fetch-Site: same-origin\r\n`)), 200);
    assert.equal(await status(put(`localhost:${API_PORT}`, "")), 200);
    assert.equal(await status(tx("")), 200);
  });

  it("an upgrade request is served and its connection closed (the next request on it hung)", async () => {
    const { answer, connection } = await exchange(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    try {
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("connection")?.toLowerCase(), "close");
      assert.ok(await connection.closedWithin(2000), "the connection is closed after the answer");
    } finally {
      connection.destroy();
    }
  });

  it("a silent connection and an unfinished header are closed within the header timeout (Node checked every 30 s)", async () => {
    for (const text of ["", "GET /health HTTP/1.1\r\nHost: a\r\nX-Never: ends"]) {
      const started = performance.now();
      const connection = await RawConnection.open(API_PORT);
      connection.send([Buffer.from(text)], 0);
      const closed = await connection.closedWithin(HEADER_TIMEOUT_MS + SLACK_MS);
      const ms = Math.round(performance.now() - started);
      const rest = connection.rest();
      connection.destroy();
      assert.ok(closed, `${JSON.stringify(text)}: still open after ${ms} ms`);
      assert.match(rest, /^HTTP\/1\.1 408 [\s\S]*"error":"invalid-argument"/);
    }
  });

  it("a body cut short is closed within the request timeout, and counted a 400, not a 500", async () => {
    const started = performance.now();
    const connection = await RawConnection.open(API_PORT);
    connection.send(
      [Buffer.from('PUT /v1/kv/cut HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{"val')],
      0,
    );
    const closed = await connection.closedWithin(REQUEST_TIMEOUT_MS + SLACK_MS);
    connection.destroy();
    assert.ok(closed, `still open after ${Math.round(performance.now() - started)} ms`);
    const counted = await waitFor("the cut request counted", 5000, async () => {
      const text = await fetch(`http://127.0.0.1:${API_PORT}/metrics`).then((r) => r.text());
      const kv = text.split("\n").filter((l) => l.startsWith('selfman_api_requests_total{route="/v1/kv/'));
      return kv.length > 0 ? kv : undefined;
    });
    assert.ok(
      counted.every((line) => !line.includes('status="500"')),
      counted.join("\n"),
    );
  });

  it("refuses a header timeout longer than the request timeout", async () => {
    await assert.rejects(
      startApiServer({
        nodes: singleNode(api.node),
        host: "127.0.0.1",
        port: API_PORT + 1,
        authFile: null,
        version: "test",
        replication: 4,
        limits: { headersTimeoutMs: 2000, requestTimeoutMs: 1000 },
      }),
      ApiConfigError,
    );
  });
});
