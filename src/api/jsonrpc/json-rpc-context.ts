// What the JSON-RPC API needs of the server that mounts it (docs/scalaris-api.md §1): hosted nodes, the
// cluster secret for tlogs, the replication factor, the version, facts for vm.get_info, the token check.
// Must not break: rt.get_replication_factor and rdht.delete's replica count both read `replication`.
import type { ClusterSecret } from "../cluster-secret.js";
import type { HostedNodes } from "../hosted-nodes.js";

/** This process as vm.get_info and vm.get_other_vms describe it (Scalaris's member names). */
export interface VmInfo {
  readonly ip: string;
  /** The port the ring nodes listen on (Scalaris: the Erlang distribution port). */
  readonly port: number;
  /** The port this API is served on (Scalaris: the yaws port). */
  readonly apiPort: number;
  readonly uptimeSec: number;
  readonly memTotal: number;
  /** A name for this process (Scalaris: the Erlang node name). */
  readonly processName: string;
  /** The runtime's version (Scalaris: the Erlang release). */
  readonly runtimeVersion: string;
}

/** What a call needs its token to allow. */
export type Scope = "read" | "write" | "admin";

export interface JsonRpcContext {
  readonly nodes: HostedNodes;
  readonly secret: ClusterSecret;
  readonly replication: number;
  readonly version: string;
  readonly info: () => VmInfo;
  /** Whether the request's token allows `scope`; false answers HTTP 403. */
  readonly can: (scope: Scope) => boolean;
}
