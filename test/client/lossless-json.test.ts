// Lossless JSON (docs/client.md §7, src/wire/lossless-json.ts): on values JSON.parse represents exactly
// it agrees with JSON.parse and JSON.stringify; integers beyond the safe range survive a round trip as
// bigint; text that is not JSON, or nests too deep, is a JsonSyntaxError, never a crash or a guess.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Json, JsonSyntaxError, parseJson, stringifyJson } from "../../src/wire/lossless-json.js";

/** JSON values JSON.parse represents exactly: safe integers, finite doubles, any strings. */
const safeJson: fc.Arbitrary<unknown> = fc.jsonValue();

const unsafeInteger: fc.Arbitrary<bigint> = fc
  .bigInt({ min: -(1n << 200n), max: 1n << 200n })
  .filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER));

/** Values with bigints beyond the safe range anywhere inside. */
const losslessJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    unsafeInteger,
    fc.string({ unit: "grapheme" }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

describe("lossless JSON", () => {
  it("parses what JSON.stringify prints exactly as JSON.parse does", () => {
    fc.assert(
      fc.property(safeJson, fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        assert.deepStrictEqual(parseJson(text), JSON.parse(text));
      }),
    );
  });

  it("prints safe values exactly as JSON.stringify does", () => {
    fc.assert(
      fc.property(safeJson, (value) => {
        assert.equal(stringifyJson(JSON.parse(JSON.stringify(value)) as Json), JSON.stringify(value));
      }),
    );
  });

  it("round-trips integers of any size, and values holding them", () => {
    fc.assert(
      fc.property(losslessJson, (value) => {
        assert.deepStrictEqual(parseJson(stringifyJson(value)), value);
      }),
    );
    assert.equal(parseJson("9007199254740993"), 9007199254740993n);
    assert.equal(parseJson("-9007199254740993"), -9007199254740993n);
    assert.equal(parseJson("9007199254740991"), 9007199254740991);
    assert.equal(stringifyJson({ n: 2n ** 70n }), `{"n":${2n ** 70n}}`);
  });

  it("keeps __proto__ as an own member and the prototype untouched", () => {
    const parsed = parseJson('{"__proto__":{"polluted":1}}') as Record<string, Json>;
    assert.deepStrictEqual(parsed, JSON.parse('{"__proto__":{"polluted":1}}'));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it("rejects what JSON.parse rejects, with a JsonSyntaxError", () => {
    const bad = ["", "01", "1.", ".5", "+1", "[1,]", '{"a":1,}', "{a:1}", '"\\x"', '"a\nb"', "nul", "[1] 2"];
    for (const text of bad) {
      assert.throws(() => JSON.parse(text), SyntaxError, text);
      assert.throws(() => parseJson(text), JsonSyntaxError, text);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          assert.throws(() => parseJson(text), JsonSyntaxError);
          return;
        }
        assert.deepStrictEqual(parseJson(text), expected);
      }),
    );
  });

  it("bounds the depth it parses", () => {
    const deep = `${"[".repeat(300)}${"]".repeat(300)}`;
    assert.throws(() => parseJson(deep), JsonSyntaxError);
    assert.throws(() => parseJson("[[[1]]]", { maxDepth: 2 }), JsonSyntaxError);
    assert.deepStrictEqual(parseJson("[[1]]", { maxDepth: 2 }), [[1]]);
    assert.throws(() => parseJson("[".repeat(1_000_000)), JsonSyntaxError);
  });

  it("refuses to print a non-finite number", () => {
    assert.throws(() => stringifyJson(Number.NaN), RangeError);
    assert.throws(() => stringifyJson([Number.POSITIVE_INFINITY]), RangeError);
  });
});
