// The cluster's shared secret (docs/api.md §5), kept in selfman itself under a reserved key: the first
// API server to need it creates 32 random bytes with a compare-and-set, every other reads what won, so
// every node seals and opens tlog tokens with the same key. Cached per process once read.
import { randomBytes } from "node:crypto";
import type { LiveNode } from "../runtime/live-node.js";
import { ApiError } from "./api-error.js";
import { SYSTEM_PREFIX } from "./system-keys.js";

const SECRET_KEY = `${SYSTEM_PREFIX}tlog-secret`;

export class ClusterSecret {
  private secret: Uint8Array | null = null;
  private pending: Promise<Uint8Array> | null = null;

  /** The secret, read (or created) through `node` the first time. Rejects if the store cannot answer. */
  get(node: LiveNode): Promise<Uint8Array> {
    if (this.secret !== null) return Promise.resolve(this.secret);
    this.pending ??= this.load(node).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async load(node: LiveNode): Promise<Uint8Array> {
    const fresh = randomBytes(32).toString("base64");
    const result = await node.kv(SECRET_KEY, { kind: "cas", expected: null, value: fresh });
    if (!result.ok)
      throw new ApiError("unavailable", `the cluster secret could not be read: ${result.message}`);
    const stored = result.applied ? fresh : result.value;
    if (typeof stored !== "string") throw new Error("the cluster secret is not a string");
    this.secret = new Uint8Array(Buffer.from(stored, "base64"));
    return this.secret;
  }
}
