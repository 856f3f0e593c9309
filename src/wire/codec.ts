// The one codec of the live wire and the lmdb store (docs/live-runtime.md §1): MessagePack through
// msgpackr, plain maps, 128-bit ids as decimal strings, node refs as one cached extension. Both ends of
// a connection and every stored value use this Packr; changing its options or the ref extension's
// layout changes the wire format (bump PROTOCOL_VERSION in runtime/transport.ts) and the disk format.
import { addExtension, Packr } from "msgpackr";

import { ADDRESS, CheckedRef, MAX_ADDRESS_LENGTH } from "../core/node-ref.js";

/**
 * No records (plain maps). Bigints (128-bit ids) travel as decimal strings, which the message schema
 * turns back into bigints: msgpackr's bigint extension took twice as long to encode and decode a ring
 * message.
 */
export const packr = new Packr({ useRecords: false, largeBigIntToString: true, mapsAsObjects: true });

/** Encodes one value (a message, a handshake, a stored item). */
export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Decodes one payload; undefined if it is not valid MessagePack (it spoils only itself) — or encodes
 * undefined, which no message, hello or stored value does.
 */
export function decode(payload: Uint8Array): unknown {
  try {
    return packr.unpack(payload);
  } catch {
    return undefined;
  }
}

// ---- node refs on the wire ----------------------------------------------------------------------
// A NodeRef is in nearly every message, and the same few refs over and over (self, pred, succ). The
// live runtime's refs are CheckedRefs, which travel as one MessagePack extension: the 16-byte id
// (m = 128), the 6-byte nonce, the address in UTF-8. Both ways are cached — a ref is encoded once, and
// the same bytes decode to the same (already checked) CheckedRef — so a ping costs a fraction of a
// map with a 128-bit bigint in it. Plain-object refs still go as maps, checked by the schema.

const REF_EXTENSION = 0x52;
const REF_FIXED_BYTES = 16 + 6;
const MAX_NONCE = 2 ** 48 - 1;
const REF_CACHE_MAX = 65_536;
const encodedRefs = new WeakMap<CheckedRef, Buffer>();
/** Refs decoded lately, by nonce. */
const decodedRefs = new Map<number, CheckedRef>();

function encodeRef(ref: CheckedRef): Buffer {
  let bytes = encodedRefs.get(ref);
  if (bytes !== undefined) return bytes;
  if (ref.id < 0n || ref.id >= 1n << 128n || !(ref.nonce >= 0 && ref.nonce <= MAX_NONCE))
    throw new RangeError(`ref ${ref.addr} cannot be encoded (id or nonce out of range)`);
  const addr = Buffer.from(ref.addr, "utf8");
  bytes = Buffer.allocUnsafe(REF_FIXED_BYTES + addr.length);
  bytes.writeBigUInt64BE(ref.id >> 64n, 0);
  bytes.writeBigUInt64BE(BigInt.asUintN(64, ref.id), 8);
  bytes.writeUIntBE(ref.nonce, 16, 6);
  addr.copy(bytes, REF_FIXED_BYTES);
  encodedRefs.set(ref, bytes);
  return bytes;
}

/** Throws (and the frame is dropped as bad MessagePack) if the bytes are not a valid ref. */
function decodeRef(bytes: Uint8Array): CheckedRef {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length <= REF_FIXED_BYTES || buffer.length > REF_FIXED_BYTES + MAX_ADDRESS_LENGTH)
    throw new RangeError("a node ref of the wrong length");
  // The nonce picks the candidate (it is random per incarnation); the whole encoding must match.
  const nonce = buffer.readUIntBE(16, 6);
  const known = decodedRefs.get(nonce);
  if (known !== undefined && buffer.equals(encodeRef(known))) return known;
  const addr = buffer.toString("utf8", REF_FIXED_BYTES);
  if (!ADDRESS.test(addr)) throw new RangeError("a node ref with a malformed address");
  const id = (buffer.readBigUInt64BE(0) << 64n) | buffer.readBigUInt64BE(8);
  const ref = new CheckedRef(id, addr, nonce);
  if (decodedRefs.size >= REF_CACHE_MAX) decodedRefs.clear();
  decodedRefs.set(nonce, ref);
  return ref;
}

addExtension({ Class: CheckedRef, type: REF_EXTENSION, pack: encodeRef, unpack: decodeRef });
