// The JSON-RPC API on real nodes for tests (docs/scalaris-api.md §1): LiveNodes in this process over plain
// TCP, one ring, a HostedNodes over them, the real API server (or, for narrower token scopes, a bare
// node:http server calling answerJsonRpc). Waiting is polling with a deadline; close() stops everything.
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { startApiServer } from "../../src/api/api-server.js";
import { ClusterSecret } from "../../src/api/cluster-secret.js";
import type { HostedNodes } from "../../src/api/hosted-nodes.js";
import { answerJsonRpc, type JsonRpcContext, type Scope } from "../../src/api/jsonrpc/answer-json-rpc.js";
import { ringSize } from "../../src/api/jsonrpc/ring-size.js";
import { LiveNode } from "../../src/runtime/live-node.js";
import { DEFAULT_PROPOSER } from "../../src/store/kv-proposer.js";
import { tempDir, waitFor } from "./live-cluster.js";

/** The nodes of one test process: started on consecutive ports from `basePort`, all in one ring. */
export class TestHost implements HostedNodes {
  private readonly running: LiveNode[] = [];
  private nextPort: number;
  private started = 0;
  private readonly dir: string;
  /** Every node ever started, so that close() can stop the killed ones' leftovers too. */
  private readonly all: LiveNode[] = [];

  constructor(dir: string, basePort: number) {
    this.dir = dir;
    this.nextPort = basePort;
  }

  get nodes(): readonly LiveNode[] {
    return this.running;
  }

  live(): readonly LiveNode[] {
    return this.running;
  }

  async start(): Promise<string> {
    this.started += 1;
    const name = `node-${this.started}`;
    const contact = this.running[0];
    const node = await LiveNode.start({
      name,
      host: "127.0.0.1",
      port: this.nextPort++,
      join: contact === undefined ? null : contact.self.addr,
      dataDir: path.join(this.dir, name),
      tls: null,
      logger: pino({ level: "silent" }),
    });
    this.running.push(node);
    this.all.push(node);
    return name;
  }

  member(): LiveNode | null {
    return this.running.find((n) => n.ring.isMember) ?? null;
  }

  names(): string[] {
    return this.running.map((n) => n.name);
  }

  async addNodes(n: number): Promise<{ ok: string[]; failed: string[] }> {
    const ok: string[] = [];
    for (let i = 0; i < n; i++) ok.push(await this.start());
    return { ok, failed: [] };
  }

  private remove(name: string): LiveNode | null {
    const at = this.running.findIndex((n) => n.name === name);
    if (at < 0) return null;
    return this.running.splice(at, 1)[0] ?? null;
  }

  kill(name: string): boolean {
    const node = this.remove(name);
    if (node !== null) void node.stop();
    return node !== null;
  }

  async shutdown(name: string): Promise<boolean> {
    const node = this.remove(name);
    if (node !== null) await node.leave();
    return node !== null;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((n) => n.stop()));
  }
}

export interface JsonRpcTestServer {
  readonly url: string;
  readonly host: TestHost;
  readonly ctx: JsonRpcContext;
  close(): Promise<void>;
}

/** Waits until `host`'s nodes form one ring of `size` and a write through the store succeeds. */
export async function waitForRing(host: TestHost, ctx: JsonRpcContext, size: number): Promise<void> {
  await waitFor(`a ring of ${size}`, 30_000, async () =>
    host.nodes.length === size && host.nodes.every((n) => n.ring.isMember) && ringSize(ctx) === size
      ? true
      : undefined,
  );
  await waitFor("the store answers", 30_000, async () => {
    const node = host.member();
    const put = node === null ? null : await node.kv("probe", { kind: "put", value: 1 });
    return put?.ok === true ? true : undefined;
  });
}

function serve(ctx: JsonRpcContext): http.Server {
  return http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      void answerJsonRpc(req.url ?? "/", req.method ?? "GET", body, ctx).then((answer) => {
        res.writeHead(answer.status, { "content-type": answer.contentType });
        res.end(answer.body);
      });
    });
  });
}

/**
 * `size` nodes on ports from `basePort`, one ring, and the API over them. `allow`: the token scopes the
 * server grants (all by default).
 */
export async function startJsonRpcServer(
  basePort: number,
  size: number,
  allow: readonly Scope[] = ["read", "write", "admin"],
): Promise<JsonRpcTestServer> {
  const host = new TestHost(await tempDir("jsonrpc"), basePort);
  await host.addNodes(size);
  let apiPort = 0;
  const ctx: JsonRpcContext = {
    nodes: host,
    secret: new ClusterSecret(),
    replication: DEFAULT_PROPOSER.replication,
    version: "0.1.0",
    info: () => ({
      ip: "127.0.0.1",
      port: basePort,
      apiPort,
      uptimeSec: Math.round(process.uptime()),
      memTotal: process.memoryUsage().rss,
      processName: `selfman@${os.hostname()}`,
      runtimeVersion: process.versions.node,
    }),
    can: (scope) => allow.includes(scope),
  };
  await waitForRing(host, ctx, size);
  // with every scope the calls go through the real API server; a narrower set needs the bare handler
  const everything = (["read", "write", "admin"] as const).every((scope) => allow.includes(scope));
  if (everything) {
    const api = await startApiServer({
      nodes: host,
      host: "127.0.0.1",
      port: 0,
      authFile: null,
      version: ctx.version,
      replication: ctx.replication,
    });
    apiPort = Number(api.address.split(":").at(-1));
    return {
      url: `http://${api.address}`,
      host,
      ctx,
      close: async () => {
        await api.close();
        await host.close();
      },
    };
  }
  const server = serve(ctx);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${apiPort}`,
    host,
    ctx,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await host.close();
    },
  };
}
