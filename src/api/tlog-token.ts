// The transaction log a client carries between calls (docs/api.md §5): the reads and writes of an
// interactive transaction, plus the keys of requests that failed (they doom its commit), sealed with
// an HMAC under the cluster's secret so that a client can neither forge a read version nor edit a value.
// Any node of the cluster opens a token any other sealed. Opening never throws anything but TlogError.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Value } from "../store/item.js";
import type { TxEntry } from "../tx/tx-lock.js";

export interface TlogState {
  readonly entries: readonly TxEntry[];
  /** Keys whose requests failed (key_changed, not_a_number, …): the commit aborts with them. */
  readonly failed: readonly string[];
}

export const EMPTY_TLOG: TlogState = { entries: [], failed: [] };

export class TlogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlogError";
  }
}

const MAC_BYTES = 32;

function mac(payload: Buffer, secret: Uint8Array): Buffer {
  return createHmac("sha256", secret).update(payload).digest();
}

/** The token of `state`: base64url of the payload and its MAC. */
export function sealTlog(state: TlogState, secret: Uint8Array): string {
  const payload = Buffer.from(JSON.stringify([state.entries.map(packEntry), state.failed]), "utf8");
  return Buffer.concat([payload, mac(payload, secret)]).toString("base64url");
}

type PackedEntry = [string, 0 | 1, number, Value, 0 | 1];

function packEntry(e: TxEntry): PackedEntry {
  return [e.key, e.kind === "write" ? 1 : 0, e.version, e.value, e.tombstone ? 1 : 0];
}

function unpackEntry(p: unknown): TxEntry {
  if (!Array.isArray(p) || p.length !== 5) throw new TlogError("a malformed entry");
  const [key, kind, version, value, tombstone] = p as unknown[];
  if (typeof key !== "string" || (kind !== 0 && kind !== 1) || (tombstone !== 0 && tombstone !== 1))
    throw new TlogError("a malformed entry");
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0)
    throw new TlogError("a malformed version");
  return {
    key,
    kind: kind === 1 ? "write" : "read",
    version,
    value: value as Value,
    tombstone: tombstone === 1,
  };
}

/** The state a token holds, if this cluster sealed it unchanged. */
export function openTlog(token: string, secret: Uint8Array): TlogState {
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]*$/.test(token)) throw new TlogError("not a tlog");
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length <= MAC_BYTES) throw new TlogError("not a tlog");
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  const tag = bytes.subarray(bytes.length - MAC_BYTES);
  if (!timingSafeEqual(tag, mac(payload, secret)))
    throw new TlogError("a tlog this cluster did not issue, or one that was changed");
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new TlogError("not a tlog");
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Array.isArray(parsed[0]) || !Array.isArray(parsed[1]))
    throw new TlogError("not a tlog");
  const failed = parsed[1] as unknown[];
  if (!failed.every((k) => typeof k === "string")) throw new TlogError("not a tlog");
  return { entries: (parsed[0] as unknown[]).map(unpackEntry), failed: failed as string[] };
}
