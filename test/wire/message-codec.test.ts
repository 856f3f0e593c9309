// The one wire codec (src/wire/): a node message with live refs survives encode and decode as the same
// message; a payload that is not MessagePack, or MessagePack of the wrong shape, comes back as the
// reason it is not a message — whatever the bytes, decode never throws.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { CheckedRef } from "../../src/core/node-ref.js";
import type { NodeMessage } from "../../src/node/selfman-node.js";
import { encode } from "../../src/wire/codec.js";
import { nodeMessageCodec } from "../../src/wire/message-codec.js";

const ids = new IdSpace();
const codec = nodeMessageCodec(ids);
const a = new CheckedRef((1n << 127n) + 5n, "127.0.0.1:7001", 0x1234_5678_9abc);
const b = new CheckedRef(42n, "[::1]:7002", 7);

describe("wire codec", () => {
  it("round-trips a node message with live refs and 128-bit ids", () => {
    const msg: NodeMessage = {
      type: "lookupReply",
      lookupId: 3,
      key: (1n << 128n) - 1n,
      responsible: b,
      hops: 2,
    };
    const back = codec.decode(codec.encode(msg));
    assert.ok(back.ok);
    assert.deepEqual(back.msg, msg);
    const ping: NodeMessage = {
      type: "ping",
      pred: a,
      succ: b,
      ring: { name: "r", uid: 1 },
      succListDigest: 9,
    };
    const first = codec.decode(codec.encode(ping));
    const second = codec.decode(codec.encode(ping));
    assert.ok(first.ok && first.msg.type === "ping" && second.ok && second.msg.type === "ping");
    assert.deepEqual(first.msg, ping);
    assert.ok(first.msg.pred instanceof CheckedRef);
    assert.equal(first.msg.pred, second.msg.pred, "the same bytes decode to the same cached ref");
  });

  it("says why a payload is not a message", () => {
    assert.deepEqual(codec.decode(Buffer.from([0x92, 0x01])), {
      ok: false,
      problem: "bad-msgpack",
      detail: "not MessagePack",
    });
    const wrong = codec.decode(encode({ type: "lookupReply", lookupId: "x" }));
    assert.equal(wrong.ok, false);
    assert.ok(
      !wrong.ok && wrong.problem === "bad-shape" && /msg\.lookupId/.test(wrong.detail),
      String(wrong),
    );
    const unknown = codec.decode(encode({ type: "noSuchMessage" }));
    assert.ok(!unknown.ok && unknown.problem === "bad-shape");
  });

  it("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = codec.decode(bytes);
        assert.equal(typeof result.ok, "boolean");
      }),
    );
  });
});
