// The key inspector's routes (docs/dashboard.md §3, docs/api.md §2.3): where a key's f replicas are and
// what each holds. /v1/replicas/{key} finds each replica id's node through the overlay and asks every
// API of the cluster's directory what its nodes hold of the key (/v1/held/{key}, a plain read of their
// own stores); then it says which version a majority of the replicas holds, if any. Nothing here goes
// through the register: it shows the replicas as they are, disagreements included.
import type { Context } from "hono";
import { fetchJson } from "../runtime/admin-client.js";
import { replicaIds } from "../store/replicas.js";
import { fromStored, toWireJson } from "../wire/api-value.js";
import type { Json } from "../wire/lossless-json.js";
import { type ApiContext, type ApiEnv, reply, serving } from "./api-context.js";
import type { RouteSpec } from "./route-table.js";
import { checkedKey } from "./v1-kv.js";

/** What one node holds of a key at one replica id. */
type Held = {
  readonly node: string;
  readonly addr: string;
  readonly replicaId: string;
  readonly version: number;
  readonly tombstone: boolean;
  readonly value: Json;
};

const ASK_TIMEOUT_MS = 2_000;

/** Whether another API's answer entry has the shape of a Held (one that does not is left out). */
function isHeld(value: unknown): value is Held {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.node === "string" &&
    typeof v.addr === "string" &&
    typeof v.replicaId === "string" &&
    typeof v.version === "number" &&
    typeof v.tombstone === "boolean"
  );
}

/** GET /v1/held/{key}: every replica of the key the nodes of this process hold in their own stores. */
function heldHere(api: ApiContext, key: string): Held[] {
  const held: Held[] = [];
  for (const node of api.nodes.live())
    for (const id of replicaIds(node.ids, api.replication, key)) {
      const item = node.heldItem(id, key);
      if (item === undefined) continue;
      held.push({
        node: node.name,
        addr: node.self.addr,
        replicaId: id.toString(),
        version: item.version,
        tombstone: item.tombstone,
        value: item.tombstone ? null : toWireJson(fromStored(item.value)),
      });
    }
  return held;
}

/** What every API of the directory says its nodes hold; an API that does not answer adds nothing. */
async function heldEverywhere(
  api: ApiContext,
  key: string,
  authorization: string | undefined,
): Promise<Held[]> {
  const self = api.address();
  const others = (await api.directory.addresses()).filter((a) => a !== self);
  const answers = await Promise.all(
    others.map((address) =>
      fetchJson<{ held: Held[] }>(
        `http://${address}/v1/held/${encodeURIComponent(key)}`,
        ASK_TIMEOUT_MS,
        authorization,
      ).then(
        (body) => (Array.isArray(body.held) ? body.held.filter(isHeld) : []),
        () => [],
      ),
    ),
  );
  return [...heldHere(api, key), ...answers.flat()];
}

async function inspect(c: Context<ApiEnv>, api: ApiContext): Promise<Response> {
  const key = checkedKey(c.req.param("key") ?? "", api);
  const node = serving(api);
  const ids = replicaIds(node.ids, api.replication, key);
  const [lookups, held] = await Promise.all([
    Promise.all(ids.map((id) => node.lookupId(id))),
    heldEverywhere(api, key, c.req.header("authorization")),
  ]);
  const replicas = ids.map((id, index) => {
    const lookup = lookups[index]?.result;
    const holder = lookup?.ok === true ? lookup.responsible : null;
    const item = held.find((h) => h.replicaId === id.toString() && h.addr === holder?.addr);
    return {
      index,
      id: id.toString(),
      holder:
        holder === null ? null : { id: holder.id.toString(), addr: holder.addr, name: item?.node ?? null },
      hops: lookup?.ok === true ? lookup.hops : null,
      held:
        item === undefined ? null : { version: item.version, tombstone: item.tombstone, value: item.value },
    };
  });
  const votes = new Map<number, number>();
  for (const r of replicas) votes.set(r.held?.version ?? 0, (votes.get(r.held?.version ?? 0) ?? 0) + 1);
  const [version, count] = [...votes].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [0, 0];
  const majority = count >= Math.floor(api.replication / 2) + 1 ? { version, replicas: count } : null;
  return reply(c, 200, { key, replicas, majority, agree: count === replicas.length });
}

export function replicaRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      method: "get",
      path: "/v1/replicas/{key}",
      summary:
        "the key inspector: each replica id of the key, the node responsible for it (found through the overlay, with hops), what that node holds there, and which version a majority holds",
      scope: "read",
      responses: {
        200: "{key, replicas: [{index, id, holder: {id, addr, name}, hops, held: {version, tombstone, value} | null}], majority: {version, replicas} | null, agree}",
      },
      handler: (c) => inspect(c, api),
    },
    {
      method: "get",
      path: "/v1/held/{key}",
      summary:
        "what the nodes of this process hold of the key in their own stores, replica by replica (no quorum)",
      scope: "read",
      responses: { 200: "{held: [{node, addr, replicaId, version, tombstone, value}]}" },
      handler: (c) => reply(c, 200, { held: heldHere(api, checkedKey(c.req.param("key") ?? "", api)) }),
    },
  ];
}
