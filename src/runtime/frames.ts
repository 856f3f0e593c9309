// Wire framing for the live transport (ARCHITECTURE.md §3): each frame is a 4-byte big-endian length
// followed by that many bytes of MessagePack. The decoder takes TCP chunks as they come and yields
// whole frames; a length above the limit is a framing error the connection cannot recover from (the
// stream cannot be resynchronised): the decoder yields the frames before it, then `oversized` says
// so and it yields nothing more, and the caller must close the connection. Decoding MessagePack is
// the caller's business: a frame that is not valid MessagePack spoils only itself.
import { addExtension, Packr } from "msgpackr";
import { ADDRESS, CheckedRef, MAX_ADDRESS_LENGTH } from "../core/node-ref.js";

export const FRAME_HEADER_BYTES = 4;
/** The default largest frame, header excluded. A joinOk with its lists is about 2 KB. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

/**
 * The one codec both ends use: no records (plain maps). Bigints (128-bit ids) travel as decimal
 * strings, which the message schema turns back into bigints: msgpackr's bigint extension took twice
 * as long to encode and decode a ring message.
 */
export const packr = new Packr({ useRecords: false, largeBigIntToString: true, mapsAsObjects: true });

/** The 4-byte header of a frame whose payload is `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(length, 0);
  return header;
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

/** One frame: header plus payload. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Reassembles frames from a byte stream. Frames inside one chunk are views of it, not copies. */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  /** Received chunks not yet consumed; the first is consumed up to `offset`. */
  private chunks: Buffer[] = [];
  private offset = 0;
  private bufferedBytes = 0;
  /** The length of the oversized frame that broke the stream, or null while it is sound. */
  oversized: number | null = null;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet part of a whole frame (a truncated frame waits here). */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** Adds a chunk; returns the payloads of the whole frames it completes (none once `oversized`). */
  push(chunk: Buffer): Buffer[] {
    if (this.oversized !== null) return [];
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.bufferedBytes >= FRAME_HEADER_BYTES) {
      const length = this.peekHeader();
      if (length > this.maxFrameBytes) {
        this.oversized = length;
        this.chunks = [];
        this.offset = 0;
        this.bufferedBytes = 0;
        break;
      }
      if (this.bufferedBytes < FRAME_HEADER_BYTES + length) break;
      this.skip(FRAME_HEADER_BYTES);
      frames.push(this.take(length));
    }
    return frames;
  }

  private peekHeader(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= FRAME_HEADER_BYTES) return first.readUInt32BE(this.offset);
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    let filled = 0;
    for (let i = 0, from = this.offset; filled < FRAME_HEADER_BYTES; i++, from = 0) {
      const c = this.chunks[i] as Buffer;
      filled += c.copy(header, filled, from, Math.min(c.length, from + FRAME_HEADER_BYTES - filled));
    }
    return header.readUInt32BE(0);
  }

  private skip(bytes: number): void {
    this.take(bytes);
  }

  /** Removes and returns the next `bytes` bytes: a view when they lie in one chunk, else a copy. */
  private take(bytes: number): Buffer {
    if (bytes === 0) return Buffer.alloc(0);
    this.bufferedBytes -= bytes;
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= bytes) {
      const out = first.subarray(this.offset, this.offset + bytes);
      this.offset += bytes;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const c = this.chunks[0] as Buffer;
      const n = Math.min(c.length - this.offset, bytes - filled);
      c.copy(out, filled, this.offset, this.offset + n);
      filled += n;
      this.offset += n;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return out;
  }
}
