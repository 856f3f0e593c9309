// The dashboard's cluster controls (docs/dashboard.md §6): crash or stop any node of the cluster, cut the
// cluster in two and heal it — from whichever node is asked. Each control finds the process hosting a
// node through a survey of the cluster's directory and calls that process's own node-control route with
// the caller's token; each is published on this server's event feed. A cut is made in the nodes'
// transports (Transport.cutOff): on one machine, the two sides simply stop talking; healed, the rings
// find each other through their passive lists and merge (docs/ring-merge.md §2).
import type { Context } from "hono";
import { type ApiContext, type ApiEnv, body, reply } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { array, object, str } from "./api-schema.js";
import { type RingSurvey, type SurveyedNode, surveyRing } from "./ring-survey.js";
import type { RouteSpec } from "./route-table.js";

const CALL_TIMEOUT_MS = 10_000;
const MAX_NAMES = 1024;

const cutBody = object(
  {
    peers: array(str(256, "a peer address host:port"), MAX_NAMES),
    apis: array(str(256, "an API address host:port"), MAX_NAMES),
  },
  ["apis"],
);
const sideBody = object({ side: array(str(128, "a node name"), MAX_NAMES) });

/** Calls another API of the cluster with the caller's token; rejects with that API's error. */
async function callApi(
  address: string,
  method: string,
  path: string,
  authorization: string | undefined,
  json?: unknown,
): Promise<unknown> {
  const response = await fetch(`http://${address}${path}`, {
    method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(json === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const answer = (await response.json()) as { message?: string };
  if (!response.ok)
    throw new ApiError(
      response.status === 404 ? "not-found" : "unavailable",
      `${address}: ${answer.message ?? response.status}`,
    );
  return answer;
}

async function survey(
  api: ApiContext,
  authorization: string | undefined,
  withCut = false,
): Promise<RingSurvey> {
  const addresses = withCut ? await api.directory.addressesWithCut() : await api.directory.addresses();
  return surveyRing(addresses, 2000, authorization);
}

function surveyed(ring: RingSurvey, name: string): SurveyedNode {
  const node = ring.nodes.find((n) => n.name === name);
  if (node === undefined)
    throw new ApiError("not-found", `no node ${JSON.stringify(name)} answers in this cluster`);
  return node;
}

/** Crash (kill) or stop (shutdown) one node of the cluster, wherever it runs. */
async function control(c: Context<ApiEnv>, api: ApiContext, mode: "kill" | "shutdown"): Promise<Response> {
  const name = c.req.param("name") ?? "";
  const authorization = c.req.header("authorization");
  const node = surveyed(await survey(api, authorization), name);
  await callApi(node.admin, "DELETE", `/v1/vm/nodes/${encodeURIComponent(name)}?mode=${mode}`, authorization);
  api.feed.publish("control", name, { action: mode === "kill" ? "crash" : "stop" });
  return reply(c, 200, { name, mode });
}

/** Tells every node which peers it is cut off from: those on the other side of `side` (none: heal). */
async function cutCluster(
  c: Context<ApiEnv>,
  api: ApiContext,
  side: readonly string[] | null,
): Promise<Response> {
  const authorization = c.req.header("authorization");
  // a heal surveys every API a cut reached too: one side may have dropped the other from the directory
  const ring = await survey(api, authorization, side === null);
  const inSide = new Set(side ?? []);
  for (const name of inSide) surveyed(ring, name);
  const a = ring.nodes.filter((n) => inSide.has(n.name));
  const b = ring.nodes.filter((n) => !inSide.has(n.name));
  if (side !== null && (a.length === 0 || b.length === 0))
    throw new ApiError("invalid-argument", "body.side: name some nodes of the cluster, and not all of them");
  const apis = [...new Set(ring.nodes.map((n) => n.admin))];
  await Promise.all(
    ring.nodes.map((node) => {
      const others = side === null ? [] : inSide.has(node.name) ? b : a;
      return callApi(node.admin, "PUT", `/v1/vm/nodes/${encodeURIComponent(node.name)}/cut`, authorization, {
        peers: others.map((n) => n.addr),
        apis,
      });
    }),
  );
  const sides =
    side === null ? [ring.nodes.map((n) => n.name)] : [a.map((n) => n.name), b.map((n) => n.name)];
  api.feed.publish("control", "cluster", side === null ? { action: "heal" } : { action: "cut", sides });
  return reply(c, 200, { sides });
}

export function clusterControlRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      method: "post",
      path: "/v1/cluster/nodes/{name}/crash",
      summary: "crash a node of the cluster, in whichever process hosts it (no goodbye: its peers find out)",
      scope: "admin",
      responses: { 200: "{name, mode}", 404: "no such node answers" },
      handler: (c) => control(c, api, "kill"),
    },
    {
      method: "post",
      path: "/v1/cluster/nodes/{name}/stop",
      summary: "make a node of the cluster leave gracefully (its successor takes its range first)",
      scope: "admin",
      responses: { 200: "{name, mode}", 404: "no such node answers" },
      handler: (c) => control(c, api, "shutdown"),
    },
    {
      method: "post",
      path: "/v1/cluster/cut",
      summary:
        "cut the cluster in two: the nodes named in side and the others stop talking to each other (their transports drop every message across the cut)",
      scope: "admin",
      body: sideBody,
      responses: { 200: "{sides: [[names], [names]]}" },
      handler: async (c) => cutCluster(c, api, (await body(c, api, sideBody)).side),
    },
    {
      method: "post",
      path: "/v1/cluster/heal",
      summary: "heal every cut: all nodes talk again, and the rings merge",
      scope: "admin",
      responses: { 200: "{sides: [[names]]}" },
      handler: (c) => cutCluster(c, api, null),
    },
    {
      method: "put",
      path: "/v1/vm/nodes/{name}/cut",
      summary:
        "the peers (host:port) a node of this process is cut off from, and the APIs the cut reached (a heal from here reaches them all); an empty list heals it",
      scope: "admin",
      body: cutBody,
      responses: { 200: "{name, peers}", 404: "no such node here" },
      handler: async (c) => {
        const name = c.req.param("name") ?? "";
        const { peers, apis } = await body(c, api, cutBody);
        const node = api.nodes.live().find((n) => n.name === name);
        if (node === undefined)
          throw new ApiError("not-found", `no node ${JSON.stringify(name)} in this process`);
        node.transport.cutOff(peers);
        if (peers.length === 0) api.directory.forgetCut();
        else api.directory.rememberCut(apis ?? []);
        return reply(c, 200, { name, peers: node.transport.cutPeers() });
      },
    },
  ];
}
