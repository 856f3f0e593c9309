// Key hashing onto the ring (docs/architecture.md §7): MD5 of the key, read as a 128-bit big-endian integer,
// as Scalaris does, so replica placement is comparable. For m < 128 the top m bits are kept.
// Pure JS (@noble/hashes): allowed in protocol code, which may not import node:crypto.
import { md5 } from "@noble/hashes/legacy.js";
import type { IdSpace, RingId } from "./id-space.js";

const utf8 = new TextEncoder();

/** The full 128-bit MD5 of a key, as a bigint. */
export function md5Id(key: string | Uint8Array): bigint {
  const bytes = typeof key === "string" ? utf8.encode(key) : key;
  const digest = md5(bytes);
  let id = 0n;
  for (const byte of digest) id = (id << 8n) | BigInt(byte);
  return id;
}

/** The ring position of a key in the given id space. */
export function hashKey(space: IdSpace, key: string | Uint8Array): RingId {
  const full = md5Id(key);
  return space.m >= 128 ? full : full >> BigInt(128 - space.m);
}
