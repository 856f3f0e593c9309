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
    sync.addRepair(iv(40, 100), 1, null);
    assert.equal(sync.serves(60n), false, "unsynced");
    assert.equal(sync.serves(150n), true);
    assert.equal(sync.serves(220n), false, "not owned");
  });

  it("the claim is recorded only when nothing is unsynced", () => {
    const { sync, claim } = rig();
    sync.addRepair(iv(40, 100), 1, null);
    sync.recordIfSynced();
    assert.equal(claim(), null);
    sync.markRepaired(iv(40, 100), 1);
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
    sync.awaitHandover(iv(40, 100), ref(250));
    sync.addRepair(iv(100, 150), 1, null);
    assert.deepEqual(sync.settleHandover(iv(40, 150), ref(9)), [], "nor does a hand-over from another node");
    assert.deepEqual(sync.settleHandover(iv(40, 150), ref(250, 2)), [], "or another incarnation");
    const settled = sync.settleHandover(iv(40, 150), ref(250));
    assert.deepEqual(
      settled.map((g) => g.range),
      [iv(40, 100)],
    );
    assert.deepEqual(sync.ranges, [iv(100, 150)]);
  });

  it("a late hand-over settles only repair parts waiting for its sender", () => {
    const { sync } = rig();
    sync.addRepair(iv(40, 100), 1, ref(250));
    sync.addRepair(iv(100, 150), 2, null);
    sync.settleRelayed(iv(40, 150), ref(9));
    assert.equal(sync.ranges.length, 2, "another sender settles nothing");
    sync.settleRelayed(iv(40, 150), ref(250, 2));
    assert.equal(sync.ranges.length, 2, "nor another incarnation of the same address (it restarted)");
    sync.settleRelayed(iv(40, 150), ref(250));
    assert.deepEqual(sync.ranges, [iv(100, 150)]);
  });

  it("a repair settles only its own parts: a hand-over awaited there, or another repair's part, stays", () => {
    const { sync, claim } = rig();
    sync.addRepair(iv(40, 100), 1, null);
    sync.awaitHandover(iv(100, 150), ref(250));
    sync.addRepair(iv(150, 180), 2, null);
    sync.markRepaired(iv(40, 200), 1);
    assert.deepEqual(sync.ranges, [iv(100, 150), iv(150, 180)]);
    assert.equal(sync.hasRepair(1), false);
    assert.deepEqual(sync.repairing(2, iv(40, 200)), [iv(150, 180)]);
    assert.equal(claim(), null);
  });

  it("after a restart, repair parts inside the restored claim are trusted; hand-over parts never", () => {
    const ring = new ScriptedRing(ref(200), ref(40), ref(250));
    const sync = new UnsyncedRanges(ids, newPort({ items: [], range: iv(40, 120) }), ring);
    sync.addRepair(iv(40, 100), 1, null);
    sync.awaitHandover(iv(100, 200), ref(250));
    assert.deepEqual(sync.untrustedIn(iv(40, 200)), [iv(100, 200)]);
  });
});
