// What every live benchmark starts with: a local cluster of node processes over TLS, waited on until
// its ring is perfect (at most 30 s). The caller stops it with clusterDown.
import { surveyRing } from "../src/api/ring-survey.js";
import { clusterUp } from "../src/runtime/local-cluster.js";

export async function perfectCluster(
  params: { readonly dir: string; readonly nodes: number; readonly basePort: number },
  log: (line: string) => void,
): Promise<string[]> {
  log(`starting ${params.nodes} nodes …`);
  const cluster = await clusterUp({
    dir: params.dir,
    nodes: params.nodes,
    basePort: params.basePort,
    insecure: false,
  });
  const admins = cluster.nodes.map((n) => n.admin);
  const deadline = Date.now() + 30_000;
  while (!(await surveyRing(admins)).perfect) {
    if (Date.now() > deadline) throw new Error("the cluster did not form a perfect ring within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return admins;
}
