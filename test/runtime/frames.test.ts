// Length-prefixed framing (src/runtime/frames.ts): however TCP cuts the byte stream, the decoder
// yields exactly the frames that were sent, in order; a truncated frame waits for the rest; an
// oversized length prefix stops the stream after the frames before it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeFrame, FrameDecoder } from "../../src/runtime/frames.js";

/** Cuts `bytes` at the given offsets (any order, duplicates allowed). */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

describe("FrameDecoder", () => {
  it("yields exactly the frames sent, whatever the chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, offsets) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
          const decoder = new FrameDecoder(1024);
          const got = cut(stream, offsets).flatMap((chunk) => decoder.push(chunk));
          assert.deepEqual(
            got.map((f) => Buffer.from(f).toString("hex")),
            payloads.map((p) => Buffer.from(p).toString("hex")),
          );
          assert.equal(decoder.pendingBytes, 0);
          assert.equal(decoder.oversized, null);
        },
      ),
    );
  });

  it("keeps a truncated frame until the rest arrives", () => {
    const frame = encodeFrame(Buffer.from("hello, ring"));
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(frame.subarray(0, 7)), []);
    assert.equal(decoder.pendingBytes, 7);
    assert.equal(decoder.push(frame.subarray(7)).length, 1);
  });

  it("stops at an oversized length prefix, after the frames before it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 5 }),
        fc.integer({ min: 65, max: 2 ** 32 - 1 }),
        (before, huge) => {
          const header = Buffer.alloc(4);
          header.writeUInt32BE(huge);
          const decoder = new FrameDecoder(64);
          const got = decoder.push(
            Buffer.concat([...before.map((p) => encodeFrame(p)), header, Buffer.alloc(10)]),
          );
          assert.equal(got.length, before.length);
          assert.equal(decoder.oversized, huge);
          assert.deepEqual(decoder.push(encodeFrame(Buffer.from("after"))), [], "nothing after the break");
        },
      ),
    );
  });
});
