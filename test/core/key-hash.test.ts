import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { hashKey, md5Id } from "../../src/core/key-hash.js";

describe("key hashing (MD5, as Scalaris)", () => {
  it("reads MD5 as a 128-bit big-endian integer", () => {
    assert.equal(md5Id("abc"), 0x900150983cd24fb0d6963f7d28e17f72n);
    assert.equal(md5Id(""), 0xd41d8cd98f00b204e9800998ecf8427en);
  });

  it("hashes strings and their UTF-8 bytes alike", () => {
    fc.assert(
      fc.property(fc.string(), (key) => assert.equal(md5Id(key), md5Id(new TextEncoder().encode(key)))),
    );
  });

  it("keeps the top m bits for smaller id spaces, always inside the space", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 128 }), (key, m) => {
        const space = new IdSpace(m);
        const id = hashKey(space, key);
        assert.ok(space.contains(id));
        assert.equal(id, md5Id(key) >> BigInt(128 - m));
      }),
    );
  });
});
