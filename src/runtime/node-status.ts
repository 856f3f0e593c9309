// What a node's GET /status answers (docs/live-runtime.md §4), declared once for the node that builds it
// (LiveNode.status) and for every reader (the local cluster, the ring survey, `selfman ring`, the status
// page), which parse it with nodeStatusSchema instead of trusting it. Ids are decimal strings (JSON has
// no bigints). A field added here must be added to the schema below: the compiler checks one way
// (Schema<NodeStatus>), the live tests the other.
import {
  array,
  bool,
  nullable,
  object,
  type Schema,
  SchemaError,
  str,
  uint,
  validate,
} from "../core/schema.js";
import type { OperationFigures } from "./operation-stats.js";
import { DropReason } from "./transport-stats.js";

/** A node ref in JSON. */
export interface RefStatus {
  readonly id: string;
  readonly addr: string;
  readonly nonce: number;
}

/** Counters by name (every value a count). */
export type Counts<K extends string> = { readonly [N in K]: number };

export interface NodeStatus {
  readonly name: string;
  readonly id: string;
  readonly addr: string;
  readonly nonce: number;
  /** The node process (the local cluster's bookkeeping: a supervisor restarts it under a new pid). */
  readonly pid: number;
  readonly member: boolean;
  /** The ring it is in (its name and uid), or null before it joined. */
  readonly ring: { readonly name: string; readonly uid: number } | null;
  readonly pred: RefStatus | null;
  readonly succ: RefStatus | null;
  readonly succList: readonly RefStatus[];
  readonly predList: readonly RefStatus[];
  /** A node whose predList holds more than its pred is the root of a branch (docs/relaxed-ring.md §6). */
  readonly branch: { readonly root: boolean; readonly members: readonly RefStatus[] };
  readonly fingers: readonly RefStatus[];
  readonly routingTableSize: number;
  readonly suspected: readonly RefStatus[];
  readonly uptimeSec: number;
  readonly failureDetector: {
    readonly timeoutMs: number;
    readonly monitored: number;
    readonly suspicions: number;
    readonly falseSuspicions: number;
  };
  readonly transport: {
    readonly framesIn: number;
    readonly framesOut: number;
    /** Socket writes: framesOut / writesOut is how many frames a write carries. */
    readonly writesOut: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly connectionsIn: number;
    readonly connectionsOut: number;
    readonly dropped: Counts<DropReason>;
  };
  readonly lookupsAnswered: number;
  /** The operations this node coordinated: kv operations, request lists, transactions. */
  readonly operations: OperationFigures;
  /** Items held, ranges unsynced, operations in flight, and the replica store's own counters by name. */
  readonly store: Counts<"items" | "unsynced" | "operationsInFlight" | "transactionsInFlight"> &
    Readonly<Record<string, number>>;
}

// ---- the schema ---------------------------------------------------------------------------------

const MAX_LIST = 10_000;

const finite: Schema<number> = (value) => {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new SchemaError("a finite number >= 0");
  return value;
};

/** A plain object of counts with at least the `required` names (others are counts too). */
function counts<K extends string>(
  required: readonly K[],
): Schema<Counts<K> & Readonly<Record<string, number>>> {
  const count = uint();
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new SchemaError("an object");
    const fields = value as Record<string, unknown>;
    for (const name of required) if (!(name in fields)) throw new SchemaError("a count").within(`.${name}`);
    for (const [name, n] of Object.entries(fields)) {
      try {
        count(n);
      } catch (error) {
        throw error instanceof SchemaError ? error.within(`.${name}`) : error;
      }
    }
    return fields as Counts<K> & Readonly<Record<string, number>>;
  };
}

const decimalId = str(80, /^[0-9]+$/);
const refStatus: Schema<RefStatus> = object({ id: decimalId, addr: str(300), nonce: uint() });
const refs = array(refStatus, MAX_LIST);

const nodeStatusSchema: Schema<NodeStatus> = object({
  name: str(128),
  id: decimalId,
  addr: str(300),
  nonce: uint(),
  pid: uint(),
  member: bool,
  ring: nullable(object({ name: str(256), uid: uint() })),
  pred: nullable(refStatus),
  succ: nullable(refStatus),
  succList: refs,
  predList: refs,
  branch: object({ root: bool, members: refs }),
  fingers: refs,
  routingTableSize: uint(),
  suspected: refs,
  uptimeSec: uint(),
  failureDetector: object({
    timeoutMs: finite,
    monitored: uint(),
    suspicions: uint(),
    falseSuspicions: uint(),
  }),
  transport: object({
    framesIn: uint(),
    framesOut: uint(),
    writesOut: uint(),
    bytesIn: uint(),
    bytesOut: uint(),
    connectionsIn: uint(),
    connectionsOut: uint(),
    dropped: counts(Object.values(DropReason)),
  }),
  lookupsAnswered: uint(),
  operations: object({
    completed: uint(),
    failed: uint(),
    latencyP50Ms: nullable(finite),
    latencyP99Ms: nullable(finite),
  }),
  store: counts(["items", "unsynced", "operationsInFlight", "transactionsInFlight"] as const),
});

/** Thrown when an admin port answers /status with something that is not a NodeStatus. */
export class MalformedStatusError extends Error {
  constructor(source: string, problem: string) {
    super(`${source} answered a malformed /status (${problem})`);
    this.name = "MalformedStatusError";
  }
}

/** `value` (the JSON of `source`'s /status) as a NodeStatus, or a MalformedStatusError saying why not. */
export function parseNodeStatus(value: unknown, source: string): NodeStatus {
  try {
    return validate(nodeStatusSchema, value, "status");
  } catch (error) {
    if (error instanceof SchemaError) throw new MalformedStatusError(source, error.message);
    throw error;
  }
}
