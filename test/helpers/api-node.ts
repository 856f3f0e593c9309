// One in-process node with the API server over it, for the API tests (docs/api.md §1): a ring of one
// over plain TCP in a temporary directory, waited for until it is a member, then served with `limits`.
// close() stops both.
import path from "node:path";
import pino from "pino";
import type { ApiLimits } from "../../src/api/api-limits.js";
import { type ApiServer, startApiServer } from "../../src/api/api-server.js";
import { singleNode } from "../../src/api/hosted-nodes.js";
import { LiveNode } from "../../src/runtime/live-node.js";
import { tempDir, waitFor } from "./live-cluster.js";

export interface ApiNode {
  readonly node: LiveNode;
  readonly server: ApiServer;
  close(): Promise<void>;
}

export async function startApiNode(
  name: string,
  nodePort: number,
  apiPort: number,
  limits: Partial<ApiLimits> = {},
): Promise<ApiNode> {
  const dir = await tempDir(name);
  const node = await LiveNode.start({
    name,
    host: "127.0.0.1",
    port: nodePort,
    join: null,
    dataDir: path.join(dir, "node"),
    tls: null,
    logger: pino({ level: "silent" }),
  });
  await waitFor("a ring member", 10_000, async () => (node.ring.isMember ? true : undefined));
  const server = await startApiServer({
    nodes: singleNode(node),
    host: "127.0.0.1",
    port: apiPort,
    authFile: null,
    version: "test",
    replication: 4,
    limits,
  });
  return {
    node,
    server,
    close: async () => {
      await server.close();
      await node.stop();
    },
  };
}
