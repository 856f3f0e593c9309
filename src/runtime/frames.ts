// Wire framing for the live transport (docs/live-runtime.md §1): each frame is a 4-byte big-endian
// length followed by that many bytes of MessagePack (the codec is src/wire/codec.ts). The decoder
// takes TCP chunks as they come and yields whole frames; a length above the limit is a framing error
// the connection cannot recover from (the stream cannot be resynchronised): the decoder yields the
// frames before it, then `oversized` says so and it yields nothing more, and the caller must close
// the connection. Decoding is the caller's business: a bad payload spoils only its own frame.

export const FRAME_HEADER_BYTES = 4;
/** The default largest frame, header excluded. A joinOk with its lists is about 2 KB. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

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
