// What every live benchmark starts with: a local cluster of node processes over TLS, waited on until
// its ring is perfect (at most 30 s). The caller stops it with clusterDown. Aborting `signal` (SIGINT
// or SIGTERM, bench-command.ts) stops the nodes already started and rejects.
import { surveyRing } from "../src/api/ring-survey.js";
import type { Durability } from "../src/runtime/durability.js";
import { clusterUp } from "../src/runtime/local-cluster.js";

/** The cluster's admin addresses, and the pids of its node processes (for their CPU time). */
export interface BenchCluster {
  readonly admins: string[];
  readonly pids: number[];
}

export async function perfectCluster(
  params: {
    readonly dir: string;
    readonly nodes: number;
    readonly basePort: number;
    readonly durability: Durability;
  },
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<BenchCluster> {
  log(`starting ${params.nodes} nodes (--durability ${params.durability}) …`);
  const cluster = await clusterUp({
    dir: params.dir,
    nodes: params.nodes,
    basePort: params.basePort,
    insecure: false,
    durability: params.durability,
    ...(signal === undefined ? {} : { signal }),
  });
  const admins = cluster.nodes.map((n) => n.admin);
  const deadline = Date.now() + 30_000;
  while (!(await surveyRing(admins)).perfect) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error("the cluster did not form a perfect ring within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { admins, pids: cluster.nodes.map((n) => n.pid) };
}
