// /api/vm.yaws on this process's hosted nodes (docs/scalaris-api.md §7): version, facts, node counts and
// names, start, kill or shut down nodes; get_other_vms lists only this process; *_vm stop every node.
// Must not break: node names are opaque; an unknown name is not_found, never an error.
import type { Json } from "../../wire/lossless-json.js";
import type { HostedNodes } from "../hosted-nodes.js";
import { countArg, listArg } from "./call-args.js";
import type { JsonRpcContext } from "./json-rpc-context.js";
import { BadInput } from "./rpc-errors.js";

const MAX_ADD_NODES = 64;

const ok = (value: Json): Json => ({ status: "ok", value });

export async function getVersion(ctx: JsonRpcContext): Promise<Json> {
  return ok(ctx.version);
}

export async function getInfo(ctx: JsonRpcContext): Promise<Json> {
  const info = ctx.info();
  return ok({
    scalaris_version: ctx.version,
    erlang_version: info.runtimeVersion,
    mem_total: info.memTotal,
    uptime: info.uptimeSec,
    erlang_node: info.processName,
    ip: info.ip,
    port: info.port,
    yaws_port: info.apiPort,
  });
}

export async function numberOfNodes(ctx: JsonRpcContext): Promise<Json> {
  return ok(ctx.nodes.names().length);
}

export async function getNodes(ctx: JsonRpcContext): Promise<Json> {
  return ok(ctx.nodes.names());
}

export async function addNodes(ctx: JsonRpcContext, [n]: readonly Json[]): Promise<Json> {
  const count = countArg(n, "add_nodes");
  if (count > MAX_ADD_NODES) throw new BadInput(`add_nodes: at most ${MAX_ADD_NODES} at once`);
  const added = await ctx.nodes.addNodes(count);
  return { status: "ok", ok: added.ok, failed: added.failed };
}

function nameArg(json: Json | undefined): string {
  if (typeof json !== "string") throw new BadInput("a node name is a string");
  return json;
}

/** Stops one hosted node: crash (`kill`) or graceful leave. */
function stopNode(nodes: HostedNodes, name: string, kill: boolean): Promise<boolean> {
  return kill ? Promise.resolve(nodes.kill(name)) : nodes.shutdown(name);
}

export function stopOne(kill: boolean) {
  return async (ctx: JsonRpcContext, [name]: readonly Json[]): Promise<Json> => {
    const stopped = await stopNode(ctx.nodes, nameArg(name), kill);
    return { status: stopped ? "ok" : "not_found" };
  };
}

export function stopCount(kill: boolean) {
  return async (ctx: JsonRpcContext, [n]: readonly Json[]): Promise<Json> => {
    // the nodes started last go first (as NodeHost's counted forms), so add_nodes(n) then kill_nodes(n) undoes it
    const count = countArg(n, "count");
    const names = count === 0 ? [] : ctx.nodes.names().slice(-count).reverse();
    const stopped: string[] = [];
    for (const name of names) if (await stopNode(ctx.nodes, name, kill)) stopped.push(name);
    return { status: "ok", ok: stopped };
  };
}

export function stopByName(kill: boolean) {
  return async (ctx: JsonRpcContext, [names]: readonly Json[]): Promise<Json> => {
    const wanted = listArg(names, "names").map(nameArg);
    const stopped: string[] = [];
    const notFound: string[] = [];
    for (const name of wanted) ((await stopNode(ctx.nodes, name, kill)) ? stopped : notFound).push(name);
    return { status: "ok", ok: stopped, not_found: notFound };
  };
}

export async function getOtherVms(ctx: JsonRpcContext, [max]: readonly Json[]): Promise<Json> {
  const info = ctx.info();
  const self = { erlang_node: info.processName, ip: info.ip, port: info.port, yaws_port: info.apiPort };
  return ok([self].slice(0, countArg(max, "max")));
}

/** shutdown_vm / kill_vm: ok now, then every hosted node stops (the process and this API stay up). */
export function stopVm(kill: boolean) {
  return async (ctx: JsonRpcContext): Promise<Json> => {
    const names = ctx.nodes.names();
    setImmediate(() => {
      for (const name of names) void stopNode(ctx.nodes, name, kill).catch(() => false);
    });
    return { status: "ok" };
  };
}
