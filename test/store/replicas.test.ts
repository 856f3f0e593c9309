// Replica ids (src/store/replicas.ts, docs/replication.md §1): a key's f replica ids are h + i·N/f, and f
// is checked at every entry point that takes it from a user.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkReplication } from "../../src/store/replicas.js";

describe("replication degree", () => {
  it("f is accepted when it is a power of two in [1, 64]", () => {
    for (const f of [1, 2, 4, 8, 16, 32, 64]) assert.doesNotThrow(() => checkReplication(f), `f = ${f}`);
  });

  it("any other f is refused with an error that says what f may be", () => {
    for (const f of [0, 3, 6, 12, 128, -4, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => checkReplication(f),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message.includes("f must be a power of two in [1, 64]") &&
          e.message.endsWith(`got ${f}`),
        `f = ${f}`,
      );
    }
  });
});
