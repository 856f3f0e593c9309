// A real `selfman node` survives 10,000 hostile HTTP requests from the suite's seed (docs/api.md §4, §6).
// Must not break: the process lives; a complete request gets a valid 2xx or a JSON error (Scalaris paths
// aside); an unfinished one is closed in time; memory stays bounded; the node then serves normally.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { appendToAuthFile, newToken } from "../../src/api/api-tokens.js";
import { parseJson } from "../../src/wire/lossless-json.js";
import {
  type CompleteRequest,
  type FuzzServer,
  hostileRequest,
  type PartialRequest,
} from "../helpers/hostile-http.js";
import { tempDir, waitFor } from "../helpers/live-cluster.js";
import { type NoAnswer, type RawAnswer, RawConnection } from "../helpers/raw-http.js";

const LISTEN_PORT = 29_100;
const API_PORT = 29_101;
const REQUESTS = 10_000;
/** Connections sending complete requests at once, and partial ones held open at once. */
const CONNECTIONS = 8;
const PARTIALS_AT_ONCE = 64;
const HEADER_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
/**
 * How late after its timeout an unfinished request may still be open: the server checks the timeouts
 * every quarter of the shorter (250 ms here), and a loaded 2-core machine adds event-loop lag.
 */
const CLOSE_SLACK_MS = 1500;
/** A complete request unanswered this long is a hang (the longest legitimate wait is a 408). */
const ANSWER_DEADLINE_MS = REQUEST_TIMEOUT_MS + 8000;
const SEED = fc.readConfigureGlobal().seed ?? 0;
const REPLAY = `SELFMAN_FC_SEED=${SEED} node --import tsx --import ./test/helpers/property-seed.ts --test test/api/http-fuzz.test.ts`;

interface Failure {
  readonly index: number;
  readonly label: string;
  readonly problem: string;
}

/** What a complete request's answer must be; a problem's description, or null if it is fine. */
function judge(request: CompleteRequest, result: RawAnswer | NoAnswer): string | null {
  if ("problem" in result)
    return `no answer (${result.problem} after ${Math.round(result.ms)} ms): ${JSON.stringify(result.received)}`;
  const { status, body } = result;
  const text = body.toString("utf8");
  const shown = `${status} ${JSON.stringify(text.slice(0, 200))}`;
  if (status >= 200 && status < 300) {
    if (result.stream || request.head || body.length === 0) return null;
    if (!(result.headers.get("content-type") ?? "").includes("json")) return null;
    try {
      parseJson(text, { maxDepth: 1000 });
      return null;
    } catch {
      return `a 2xx whose JSON does not parse: ${shown}`;
    }
  }
  if (status < 400) return `neither a 2xx nor an error: ${shown}`;
  if (status === 408 && !request.mayTimeOut)
    return `a 408 to a complete request: the server waited out the request timeout for bytes it had: ${shown}`;
  if (request.head) return null;
  if (request.scalaris && (text === "\n" || text === "")) return null;
  let error: unknown = null;
  try {
    error = JSON.parse(text);
  } catch {
    return `an error without a JSON body: ${shown}`;
  }
  const e = error as { error?: unknown; message?: unknown };
  // a Scalaris path refuses a caller with a JSON-RPC error object: {error: {code, message}}
  const rpc = e?.error as { code?: unknown; message?: unknown } | undefined;
  const rpcError = request.scalaris && typeof rpc?.code === "number" && typeof rpc.message === "string";
  if (
    !rpcError &&
    (typeof e !== "object" || e === null || typeof e.error !== "string" || typeof e.message !== "string")
  )
    return `an error body without error and message: ${shown}`;
  if (status === 500 && !request.scalaris) return `a 500 (an unexpected failure in the server): ${shown}`;
  return null;
}

/** The node's resident memory as its /metrics reports it. */
async function residentBytes(api: string, token: string): Promise<number> {
  const text = await fetch(`http://${api}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  }).then((r) => r.text());
  const match = /^selfman_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (match === null) throw new Error("no selfman_process_resident_memory_bytes in /metrics");
  return Number(match[1]);
}

describe("the API server under hostile HTTP", () => {
  let dir = "";
  let node: ChildProcess | null = null;
  let token = "";
  let exited: string | null = null;
  let output = "";
  const api = `127.0.0.1:${API_PORT}`;

  before(async () => {
    dir = await tempDir("http-fuzz");
    const made = newToken(["admin"], "fuzz");
    token = made.token;
    appendToAuthFile(path.join(dir, "auth.json"), made.record);
    node = spawn(
      process.execPath,
      [
        "bin/selfman",
        "node",
        "--insecure",
        "--name",
        "fuzz-target",
        "--listen",
        `127.0.0.1:${LISTEN_PORT}`,
        "--api",
        api,
        "--data-dir",
        path.join(dir, "data"),
        "--auth-file",
        path.join(dir, "auth.json"),
        "--api-header-timeout-ms",
        String(HEADER_TIMEOUT_MS),
        "--api-request-timeout-ms",
        String(REQUEST_TIMEOUT_MS),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
    };
    node.stdout?.on("data", keep);
    node.stderr?.on("data", keep);
    node.once("exit", (code, signal) => {
      exited = `exited with ${code ?? signal}`;
    });
    await waitFor("the node ready", 30_000, async () => {
      if (exited !== null) throw new Error(`the node ${exited} before it was ready:\n${output.slice(-4000)}`);
      const response = await fetch(`http://${api}/ready`, { signal: AbortSignal.timeout(2000) });
      return response.status === 200 ? true : undefined;
    });
  });

  after(async () => {
    node?.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("a refusal reaches a client still sending a 1 MiB body: the socket lingers instead of resetting", async () => {
    const size = (1 << 20) + 10;
    const head = Buffer.from(
      `POST /v1/kv/\u00e3\u00bbG HTTP/1.1\r\nHost: ${api}\r\nContent-Length: ${size}\r\n\r\n`,
      "latin1",
    );
    const body = Buffer.alloc(size, 0x61);
    const lost: string[] = [];
    const send = () =>
      new Promise<void>((resolve) => {
        const socket = net.connect(API_PORT, "127.0.0.1", () => {
          socket.write(head);
          socket.write(body);
        });
        let received = "";
        socket.on("data", (chunk: Buffer) => {
          received += chunk.toString("latin1");
        });
        socket.on("error", () => {});
        socket.on("close", () => {
          if (!received.startsWith("HTTP/1.1 400 ")) lost.push(JSON.stringify(received.slice(0, 60)));
          resolve();
        });
      });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < 300) await send();
      }),
    );
    assert.deepEqual(lost, [], `${lost.length} of 300 refusals never reached the client`);
  });

  it(`answers ${REQUESTS} hostile requests, closes the unfinished ones in time, and keeps serving`, async () => {
    const server: FuzzServer = { host: api, token, keys: 20 };
    const rssBefore = await residentBytes(api, token);
    const started = performance.now();
    const failures: Failure[] = [];
    const statuses = new Map<string, number>();
    const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
    let slowest = 0;
    let lateCloses = 0;

    // Unfinished requests each hold a connection of their own until the server closes it.
    const partials: PartialRequest[] = [];
    const partialRuns = new Set<Promise<void>>();
    const runPartial = async (request: PartialRequest): Promise<void> => {
      const allowed = (request.stage === "header" ? HEADER_TIMEOUT_MS : REQUEST_TIMEOUT_MS) + CLOSE_SLACK_MS;
      const opened = performance.now();
      const connection = await RawConnection.open(API_PORT);
      connection.send([request.prefix], 0);
      if (request.drip !== null) connection.drip(request.drip, request.dripMs);
      const closed = await connection.closedWithin(allowed + 5000);
      const ms = performance.now() - opened;
      const received = connection.rest();
      connection.destroy();
      count(`partial ${request.stage}: ${received.slice(0, 12) || "closed silently"}`);
      if (!closed || ms > allowed) {
        lateCloses++;
        failures.push({
          index: request.index,
          label: request.label,
          problem: closed
            ? `closed after ${Math.round(ms)} ms, more than ${allowed}`
            : `still open after ${Math.round(ms)} ms`,
        });
      } else if (received !== "" && !/^HTTP\/1\.1 \d{3} /.test(received))
        failures.push({
          index: request.index,
          label: request.label,
          problem: `not HTTP: ${received.slice(0, 200)}`,
        });
    };
    const startPartial = async (request: PartialRequest): Promise<void> => {
      partials.push(request);
      while (partialRuns.size >= PARTIALS_AT_ONCE) await Promise.race(partialRuns);
      const run = runPartial(request).finally(() => partialRuns.delete(run));
      partialRuns.add(run);
    };

    let next = 0;
    const worker = async (): Promise<void> => {
      let connection: RawConnection | null = null;
      while (next < REQUESTS) {
        const request = hostileRequest(SEED, next++, server);
        if (request.kind === "partial") {
          await startPartial(request);
          continue;
        }
        if (connection === null || connection.closed) {
          connection?.destroy();
          connection = await RawConnection.open(API_PORT);
        }
        connection.send(request.writes, request.paceMs);
        const result = await connection.answer(request.head, ANSWER_DEADLINE_MS);
        slowest = Math.max(slowest, result.ms);
        count("problem" in result ? `no answer: ${result.problem}` : String(result.status));
        const problem = judge(request, result);
        if (problem !== null) failures.push({ index: request.index, label: request.label, problem });
        const keepAlive =
          request.reuse &&
          !("problem" in result) &&
          !result.stream &&
          !(result.headers.get("connection") ?? "").toLowerCase().includes("close");
        if (!keepAlive) {
          connection.destroy();
          connection = null;
        }
      }
      connection?.destroy();
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    await Promise.all(partialRuns);
    const fuzzMs = performance.now() - started;

    const report = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`);
    process.stderr.write(
      `    seed ${SEED}: ${REQUESTS} requests (${partials.length} unfinished) in ${Math.round(fuzzMs)} ms, slowest answer ${Math.round(slowest)} ms\n` +
        `    ${report.join(", ")}\n`,
    );
    const shown = failures
      .slice(0, 15)
      .map((f) => `  #${f.index} [${f.label}]: ${f.problem}`)
      .join("\n");
    assert.equal(
      exited,
      null,
      `the node ${exited}; its last output:\n${output.slice(-4000)}\nreplay: ${REPLAY}`,
    );
    assert.deepEqual(
      failures.length,
      0,
      `${failures.length} requests were mishandled (seed ${SEED}, ${lateCloses} closed late):\n${shown}\nreplay: ${REPLAY}`,
    );

    // Afterwards the node serves normally: a put and a get round-trip through /v1.
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const value = { after: "the fuzz", big: 12_345_678_901_234_567_890n.toString() };
    const put = await fetch(`http://${api}/v1/kv/after-fuzz`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ value }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(put.status, 200, await put.text());
    const got = await fetch(`http://${api}/v1/kv/after-fuzz`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(((await got.json()) as { value: unknown }).value, value);

    // Memory: 1 MiB bodies and 10,000 connections' worth of garbage may leave the heap grown and not yet
    // returned to the OS, so RSS is allowed to double plus 100 MB; what must not happen is growth with
    // the request count (a buffer kept per request would be gigabytes here: 100-odd bodies over 1 MiB,
    // tens of megabytes of others).
    const rssAfter = await residentBytes(api, token);
    const mb = (n: number) => Math.round(n / 1e6);
    process.stderr.write(`    resident memory ${mb(rssBefore)} MB before, ${mb(rssAfter)} MB after\n`);
    assert.ok(
      rssAfter < 2 * rssBefore + 100e6,
      `resident memory grew from ${mb(rssBefore)} MB to ${mb(rssAfter)} MB (seed ${SEED}); replay: ${REPLAY}`,
    );
    assert.equal(exited, null, `the node ${exited}`);
  });
});
