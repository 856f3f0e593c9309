// Unsynced ranges and the recorded claim (src/store/unsynced-ranges.ts, docs/replication.md §4, §6): what a
// node serves, and what its disk may claim complete.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UnsyncedRanges } from "../../src/store/unsynced-ranges.js";
import { ids, iv, newPort, ref, ScriptedRing } from "./rig.js";

function rig() {
  const ring = new ScriptedRing(ref(200), ref(40), ref(250));
  const port = newPort();
  const sync = new UnsyncedRanges(ids, port, ring);
  const claim = () => port.disk().range;
  return { ring, port, sync, claim };
}

describe("unsynced ranges", () => {
  it("a node serves an id only if it owns it and no unsynced part holds it", () => {
    const { sync } = rig();
    sync.add(iv(40, 100), "repair", null);
    assert.equal(sync.serves(60n), false, "unsynced");
    assert.equal(sync.serves(150n), true);
    assert.equal(sync.serves(220n), false, "not owned");
  });

  it("the claim is recorded only when nothing is unsynced", () => {
    const { sync, claim } = rig();
    sync.add(iv(40, 100), "handover", "n250");
    sync.recordIfSynced();
    assert.equal(claim(), null);
    sync.markSynced(iv(40, 100));
    assert.deepEqual(claim(), iv(40, 200));
  });

  it("forgetting a range shrinks the claim before its items may be deleted", () => {
    const { sync, claim } = rig();
    sync.recordIfSynced();
    sync.forget(iv(40, 100));
    assert.deepEqual(claim(), iv(100, 200));
  });

  it("a hand-over settles only the parts waiting for a hand-over; a repair there stays", () => {
    const { sync } = rig();
    sync.add(iv(40, 100), "handover", "n250");
    sync.add(iv(100, 150), "repair", null);
    const settled = sync.settleHandover(iv(40, 150));
    assert.deepEqual(
      settled.map((g) => g.range),
      [iv(40, 100)],
    );
    assert.deepEqual(sync.ranges, [iv(100, 150)]);
  });

  it("a late hand-over settles only repair parts waiting for its sender", () => {
    const { sync } = rig();
    sync.add(iv(40, 100), "repair", "n250");
    sync.add(iv(100, 150), "repair", null);
    sync.settleRelayed(iv(40, 150), "n9");
    assert.equal(sync.ranges.length, 2, "another sender settles nothing");
    sync.settleRelayed(iv(40, 150), "n250");
    assert.deepEqual(sync.ranges, [iv(100, 150)]);
  });

  it("after a restart, repair parts inside the restored claim are trusted; hand-over parts never", () => {
    const ring = new ScriptedRing(ref(200), ref(40), ref(250));
    const sync = new UnsyncedRanges(ids, newPort({ items: [], range: iv(40, 120) }), ring);
    sync.add(iv(40, 100), "repair", null);
    sync.add(iv(100, 200), "handover", "n250");
    assert.deepEqual(sync.untrustedIn(iv(40, 200)), [iv(100, 200)]);
  });
});
