// Key hashing onto the ring (docs/architecture.md §7): MD5 of the key, read as a 128-bit big-endian integer,
// as Scalaris does, so replica placement is comparable. For m < 128 the top m bits are kept.
// Pure JS (@noble/hashes): allowed in protocol code, which may not import node:crypto.
import { md5 } from "@noble/hashes/legacy.js";
import type { IdSpace, RingId } from "./id-space.js";

const utf8 = new TextEncoder();
/** String keys hashed lately (a pure function's memo: the same keys come again and again). */
const MEMO_MAX = 65_536;
const memo = new Map<string, bigint>();

/** The full 128-bit MD5 of a key, as a bigint. */
export function md5Id(key: string | Uint8Array): bigint {
  if (typeof key !== "string") return digestId(md5(key));
  const known = memo.get(key);
  if (known !== undefined) return known;
  const id = digestId(md5(utf8.encode(key)));
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, id);
  return id;
}

function digestId(digest: Uint8Array): bigint {
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** The ring position of a key in the given id space. */
export function hashKey(space: IdSpace, key: string | Uint8Array): RingId {
  const full = md5Id(key);
  return space.m >= 128 ? full : full >> BigInt(128 - space.m);
}
