// Which methods each path serves (docs/scalaris-api.md §1), with their numbers of params and token
// scopes: tx, rdht, rt and vm at their own paths, /jsonrpc.yaws the union of tx, rdht, rt and ring size.
// Must not break: a method not in its path's table, or another number of params, answers unknownreq.
import type { Json } from "../../wire/lossless-json.js";
import type { JsonRpcContext, Scope } from "./json-rpc-context.js";
import { rdhtDelete } from "./rdht-delete.js";
import { reqList } from "./req-list.js";
import { getRingSize, waitForRingSize } from "./ring-size.js";
import {
  addDelOnListMethod,
  addOnNrMethod,
  read,
  reqListCommitEach,
  testAndSetMethod,
  write,
} from "./tx-methods.js";
import {
  addNodes,
  getInfo,
  getNodes,
  getOtherVms,
  getVersion,
  numberOfNodes,
  stopByName,
  stopCount,
  stopOne,
  stopVm,
} from "./vm-methods.js";

export interface Method {
  readonly arities: readonly number[];
  /** The scope a call needs; it may depend on the params (a req_list of reads needs only read). */
  readonly scope: (params: readonly Json[]) => Scope;
  readonly run: (ctx: JsonRpcContext, params: readonly Json[]) => Promise<Json>;
}

type Table = Readonly<Record<string, Method>>;

const reading = () => "read" as const;
const writing = () => "write" as const;
const admin = () => "admin" as const;

/** read if every op of the list param is a read or a commit, else write. */
function listScope(params: readonly Json[]): Scope {
  const ops = params.at(-1);
  if (!Array.isArray(ops)) return "write";
  const readOnly = (op: Json) =>
    typeof op === "object" &&
    op !== null &&
    !Array.isArray(op) &&
    Object.keys(op).every((k) => k === "read" || k === "commit");
  return (ops as readonly Json[]).every(readOnly) ? "read" : "write";
}

const nop: Method = { arities: [1], scope: reading, run: async () => "ok" };

const TX: Table = {
  nop,
  read: { arities: [1], scope: reading, run: read },
  write: { arities: [2], scope: writing, run: write },
  test_and_set: { arities: [3], scope: writing, run: testAndSetMethod },
  add_on_nr: { arities: [2], scope: writing, run: addOnNrMethod },
  add_del_on_list: { arities: [3], scope: writing, run: addDelOnListMethod },
  req_list: { arities: [1, 2], scope: listScope, run: reqList },
  req_list_commit_each: { arities: [1], scope: listScope, run: reqListCommitEach },
};

const RDHT: Table = { nop, delete: { arities: [1, 2], scope: writing, run: rdhtDelete } };

const RT: Table = {
  nop,
  get_replication_factor: {
    arities: [0],
    scope: reading,
    run: async (ctx) => ({ status: "ok", value: ctx.replication }),
  },
};

const VM: Table = {
  nop,
  get_version: { arities: [0], scope: reading, run: getVersion },
  get_info: { arities: [0], scope: reading, run: getInfo },
  number_of_nodes: { arities: [0], scope: reading, run: numberOfNodes },
  get_nodes: { arities: [0], scope: reading, run: getNodes },
  add_nodes: { arities: [1], scope: admin, run: addNodes },
  kill_node: { arities: [1], scope: admin, run: stopOne(true) },
  shutdown_node: { arities: [1], scope: admin, run: stopOne(false) },
  kill_nodes: { arities: [1], scope: admin, run: stopCount(true) },
  shutdown_nodes: { arities: [1], scope: admin, run: stopCount(false) },
  kill_nodes_by_name: { arities: [1], scope: admin, run: stopByName(true) },
  shutdown_nodes_by_name: { arities: [1], scope: admin, run: stopByName(false) },
  get_other_vms: { arities: [1], scope: reading, run: getOtherVms },
  shutdown_vm: { arities: [0], scope: admin, run: stopVm(false) },
  kill_vm: { arities: [0], scope: admin, run: stopVm(true) },
};

const JSONRPC: Table = {
  ...TX,
  ...RDHT,
  ...RT,
  get_ring_size: { arities: [1], scope: reading, run: getRingSize },
  wait_for_ring_size: { arities: [2], scope: reading, run: waitForRingSize },
};

export const METHOD_TABLES: Readonly<Record<string, Table>> = {
  "/api/tx.yaws": TX,
  "/api/rdht.yaws": RDHT,
  "/api/rt.yaws": RT,
  "/api/vm.yaws": VM,
  "/jsonrpc.yaws": JSONRPC,
};

/** The method `name` of `table` taking `arity` params, or undefined. */
export function methodOf(table: Table, name: string, arity: number): Method | undefined {
  const method = Object.hasOwn(table, name) ? table[name] : undefined;
  return method?.arities.includes(arity) ? method : undefined;
}
