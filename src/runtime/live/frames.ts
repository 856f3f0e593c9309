// Wire framing for the live transport (ARCHITECTURE.md §3): each frame is a 4-byte big-endian length
// followed by that many bytes of MessagePack. The decoder takes TCP chunks as they come and yields
// whole frames; a length above the limit is a framing error the connection cannot recover from (the
// stream cannot be resynchronised): the decoder yields the frames before it, then `oversized` says
// so and it yields nothing more, and the caller must close the connection. Decoding MessagePack is
// the caller's business: a frame that is not valid MessagePack spoils only itself.
import { Packr } from "msgpackr";

export const FRAME_HEADER_BYTES = 4;
/** The default largest frame, header excluded. A joinOk with its lists is about 2 KB. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

/** The one codec both ends use: no records (plain maps), and bigints (128-bit ids) as an extension. */
export const packr = new Packr({ useRecords: false, useBigIntExtension: true, mapsAsObjects: true });

/** One frame: header plus payload. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Reassembles frames from a byte stream. */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private buffered: Buffer[] = [];
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

  /** Adds a chunk; returns the whole frames it completes (none once `oversized` is set). */
  push(chunk: Buffer): Buffer[] {
    if (this.oversized !== null) return [];
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.bufferedBytes >= FRAME_HEADER_BYTES) {
      const head = this.peekHeader();
      if (head > this.maxFrameBytes) {
        this.oversized = head;
        this.buffered = [];
        this.bufferedBytes = 0;
        break;
      }
      if (this.bufferedBytes < FRAME_HEADER_BYTES + head) break;
      const all = this.take(FRAME_HEADER_BYTES + head);
      frames.push(all.subarray(FRAME_HEADER_BYTES));
    }
    return frames;
  }

  private peekHeader(): number {
    const first = this.buffered[0] as Buffer;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.buffered).readUInt32BE(0);
  }

  /** Removes and returns the first `bytes` bytes. */
  private take(bytes: number): Buffer {
    const first = this.buffered[0] as Buffer;
    if (first.length >= bytes) {
      const out = first.subarray(0, bytes);
      if (first.length === bytes) this.buffered.shift();
      else this.buffered[0] = first.subarray(bytes);
      this.bufferedBytes -= bytes;
      return out;
    }
    const all = Buffer.concat(this.buffered);
    const out = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}
