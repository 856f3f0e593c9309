// The store's assertions that stay on fire on a planted violation (docs/architecture.md §8,
// docs/register.md §1–§3, docs/replication.md): a step that breaks a rule throws the rule's name.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvariantViolation } from "../../src/core/invariant.js";
import { emptyItem, mergeItems, type Round, type StoredItem } from "../../src/store/item.js";
import { acceptRead, acceptWrite } from "../../src/store/register.js";
import { checkRegisterStep } from "../../src/store/register-service.js";

function violates(rule: string, action: () => void): void {
  assert.throws(action, (e: unknown) => e instanceof InvariantViolation && e.rule === rule);
}

const round = (counter: number, proposer = 1): Round => ({ counter, proposer });
const held: StoredItem = {
  ...emptyItem("k", 7n),
  value: "v3",
  version: 3,
  readRound: round(5),
  writeRound: round(4),
};

describe("store assertions fire on a planted violation", () => {
  it("register: what the acceptor answers passes the check", () => {
    checkRegisterStep(held, "regRead", round(6), acceptRead(held, round(6)));
    checkRegisterStep(held, "regRead", round(2), acceptRead(held, round(2)));
    checkRegisterStep(held, "regWrite", round(6), acceptWrite(held, round(6), "v4", 4, false, [1]));
  });

  it("register: the read round never decreases", () => {
    const after = { ...held, readRound: round(3) };
    violates("register: the read round never decreases", () =>
      checkRegisterStep(held, "regRead", round(6), { item: after, ok: true, seen: round(6), locked: false }),
    );
  });

  it("register: the held write never goes back", () => {
    const after = { ...held, value: "old", version: 2, writeRound: round(2) };
    violates("register: the held write never goes back", () =>
      checkRegisterStep(held, "regWrite", round(6), { item: after, ok: true, seen: round(6), locked: false }),
    );
  });

  it("register: a write below the promised read round is never taken", () => {
    const after = { ...held, value: "v4", version: 4, writeRound: round(4, 9) };
    violates("register: a round is taken only if ≥ the read round and > the write round", () =>
      checkRegisterStep(held, "regWrite", round(4, 9), {
        item: after,
        ok: true,
        seen: round(5),
        locked: false,
      }),
    );
  });

  it("replication: a merge joins two copies of one replica's item, never two items", () => {
    violates("replication: a merge joins two copies of one replica's item", () =>
      mergeItems(held, { ...held, key: "other" }),
    );
    violates("replication: a merge joins two copies of one replica's item", () =>
      mergeItems(held, { ...held, replicaId: 8n }),
    );
  });
});
