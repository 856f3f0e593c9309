// Repair of unsynced ranges, rule by rule (docs/replication.md §4, §6; src/store/repair.ts): one node's
// ReplicaStore whose range grows behind a crashed predecessor; the test answers its asks as the owners of
// the other replica classes would. N = 256, f = 4: class i of (40, 100] is (40 + 64i, 100 + 64i].
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredItem } from "../../src/store/item.js";
import type { Interval } from "../../src/store/ring-intervals.js";
import { DEFAULT_STORE } from "../../src/store/store-config.js";
import {
  handover,
  ids,
  iv,
  type MessageOf,
  newPort,
  ref,
  round,
  StoreRig,
  sentMsgs,
  written,
} from "./rig.js";

const RETRY_MS = DEFAULT_STORE.repairRetryMs;
const S = ref(200);
const SUCC = ref(250);
/** The owners of the three other classes of (40, 100]: (104, 164], (168, 228], (232, 36]. */
const CLASS_OWNERS = [ref(164), ref(228), ref(36)];

/** S at 200 whose pred at 100 crashed: (40, 100] is now S's and unsynced. */
function grown(): StoreRig {
  const rig = new StoreRig(S, ref(100), SUCC, { members: CLASS_OWNERS });
  rig.predChange(ref(40), "fix");
  return rig;
}

const asks = (rig: StoreRig) => rig.env.sentOf("repairAsk");

/** The latest ask sent to the owner of class `c` (1-based shift). */
function askOf(rig: StoreRig, c: number): MessageOf<"repairAsk"> {
  const owner = CLASS_OWNERS[c - 1];
  const sent = asks(rig)
    .filter((s) => s.to.addr === owner?.addr)
    .at(-1);
  assert.ok(sent !== undefined, `class ${c} was asked`);
  return sent.msg;
}

function answer(
  rig: StoreRig,
  c: number,
  reply: { covered?: number; items?: StoredItem[]; gaps?: Interval[] } = {},
): MessageOf<"repairReply"> {
  const ask = askOf(rig, c);
  const msg: MessageOf<"repairReply"> = {
    type: "repairReply",
    repair: ask.repair,
    from: ask.from,
    covered: reply.covered === undefined ? ask.to : BigInt(reply.covered),
    items: reply.items ?? [],
    gaps: reply.gaps ?? [],
  };
  rig.deliver(CLASS_OWNERS[c - 1] ?? SUCC, msg);
  return msg;
}

/** An item as class `c` holds it: replica id 66 of my range, shifted by 64c. */
const classItem = (c: number, value: string, r = round(2)) =>
  written("item-66", ids.add(66n, 64n * BigInt(c)), value, 1, r);

describe("repair", () => {
  it("a range grown behind a crashed pred is unsynced until a majority of its classes answered repair", () => {
    const rig = grown();
    assert.deepEqual(rig.unsynced(), [[40, 100]]);
    assert.equal(asks(rig).length, 3, "each other class is asked");
    answer(rig, 1, { items: [classItem(1, "v")] });
    answer(rig, 2, { items: [classItem(2, "v")] });
    assert.deepEqual(rig.unsynced(), [[40, 100]], "two of three other classes are not a majority of four");
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), []);
    assert.equal(rig.port.get(66n, "item-66")?.value, "v", "the items read are taken in, in my coordinates");
    assert.deepEqual(rig.claim(), [40, 200]);
  });

  it("an answer from a source that is itself unsynced there does not count", () => {
    const rig = grown();
    answer(rig, 1);
    answer(rig, 2);
    const ask = askOf(rig, 3);
    answer(rig, 3, { gaps: [{ from: ask.from, to: ask.to }] });
    assert.deepEqual(rig.unsynced(), [[40, 100]]);
    const before = asks(rig).length;
    rig.advance(RETRY_MS);
    assert.equal(asks(rig).length, before + 1, "the doubtful class is read again");
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), []);
  });

  it("where only part of a class is in doubt, the rest of the range is synced", () => {
    const rig = grown();
    answer(rig, 1);
    answer(rig, 2);
    answer(rig, 3, { gaps: [iv(232, 252)] }); // (40, 60] in my coordinates
    assert.deepEqual(rig.unsynced(), [[40, 60]]);
    assert.equal(rig.store.serves(80n), true);
  });

  it("a repair reads a class owner by owner", () => {
    const rig = grown();
    const first = askOf(rig, 1);
    answer(rig, 1, { covered: 130 });
    const next = askOf(rig, 1);
    assert.notEqual(next.repair, first.repair);
    assert.equal(next.from, 130n, "the next ask starts where the last owner's range ended");
    assert.equal(next.to, first.to);
  });

  it("a repair asks again what was not answered after repairRetryMs", () => {
    const rig = grown();
    answer(rig, 1);
    rig.advance(RETRY_MS - 1);
    assert.equal(asks(rig).length, 3);
    rig.advance(1);
    assert.equal(asks(rig).length, 5, "the two silent classes are asked again, not the one that answered");
  });

  it("a repair gives up a range that is no longer mine", () => {
    const rig = grown();
    rig.predChange(ref(150), "joiner"); // (40, 150] goes to a joiner
    const before = asks(rig).length;
    rig.advance(RETRY_MS * 3);
    assert.equal(asks(rig).length, before);
  });

  it("repaired items merge with what the replica holds: the newer write wins", () => {
    const rig = grown();
    rig.port.put(written("item-66", 66n, "mine", 3, round(9)));
    answer(rig, 1, { items: [classItem(1, "older", round(2))] });
    answer(rig, 2);
    answer(rig, 3);
    assert.equal(rig.port.get(66n, "item-66")?.value, "mine");
    const other = grown();
    other.port.put(written("item-66", 66n, "mine", 1, round(1)));
    answer(other, 1, { items: [classItem(1, "newer", round(5))] });
    answer(other, 2);
    answer(other, 3);
    assert.equal(other.port.get(66n, "item-66")?.value, "newer");
  });

  it("fault hook store.repair.reply-late: a reply held back is taken in at the next retry timer", () => {
    const rig = grown();
    answer(rig, 1);
    answer(rig, 2);
    rig.env.buggifySites.add("store.repair.reply-late");
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), [[40, 100]], "not yet");
    rig.env.buggifySites.clear();
    const before = asks(rig).length;
    rig.advance(RETRY_MS);
    assert.deepEqual(rig.unsynced(), [], "taken in when the timer fired");
    assert.equal(asks(rig).length, before, "and not asked again");
  });

  it("a reply to an ask that was superseded changes nothing", () => {
    const rig = grown();
    const stale = askOf(rig, 1);
    rig.advance(RETRY_MS); // asked again
    rig.deliver(CLASS_OWNERS[0] ?? SUCC, {
      type: "repairReply",
      repair: stale.repair,
      from: stale.from,
      covered: stale.to,
      items: [classItem(1, "stale")],
      gaps: [],
    });
    answer(rig, 2);
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), [[40, 100]], "class 1 still counts as unanswered");
  });
});

describe("repair: answering an ask", () => {
  it("a replica answers with its items up to its id and flags its unsynced parts", () => {
    const rig = new StoreRig(S, ref(40), SUCC);
    rig.put(130);
    rig.put(170);
    rig.put(30);
    rig.deliver(ref(9), { type: "repairAsk", repair: 5, from: 120n, to: 230n });
    assert.deepEqual(sentMsgs(rig.env, "repairReply"), [
      {
        type: "repairReply",
        repair: 5,
        from: 120n,
        covered: 200n,
        items: [rig.port.get(130n, "item-130"), rig.port.get(170n, "item-170")],
        gaps: [],
      },
    ]);
  });

  it("a replica that is repairing flags that part as untrusted", () => {
    const rig = grown(); // (40, 100] unsynced
    rig.deliver(ref(9), { type: "repairAsk", repair: 5, from: 80n, to: 150n });
    const [reply] = sentMsgs(rig.env, "repairReply");
    assert.deepEqual(reply?.gaps, [iv(80, 100)]);
  });

  it("a node that does not own the start of the asked range answers with nothing covered", () => {
    const rig = new StoreRig(S, ref(40), SUCC);
    rig.put(30);
    rig.deliver(ref(9), { type: "repairAsk", repair: 5, from: 10n, to: 30n });
    const [reply] = sentMsgs(rig.env, "repairReply");
    assert.equal(reply?.covered, 10n);
    assert.deepEqual(reply?.items, []);
  });

  it("after a restart the items inside the recorded claim are offered as trusted while it repairs", () => {
    const disk = { items: [written("item-130", 130n, 1, 1, round(1))], range: iv(40, 200) };
    const restarted = new StoreRig(S, null, SUCC, { port: newPort(disk), members: CLASS_OWNERS });
    restarted.predChange(ref(40), "first"); // a cold start: everything is repaired
    assert.ok(restarted.unsynced().length > 0);
    restarted.deliver(ref(9), { type: "repairAsk", repair: 5, from: 120n, to: 150n });
    assert.deepEqual(sentMsgs(restarted.env, "repairReply")[0]?.gaps, [], "inside the claim: trusted");
    const fresh = new StoreRig(S, null, SUCC, { port: newPort({ items: disk.items, range: null }) });
    fresh.predChange(ref(40), "first");
    fresh.deliver(ref(9), { type: "repairAsk", repair: 5, from: 120n, to: 150n });
    assert.deepEqual(sentMsgs(fresh.env, "repairReply")[0]?.gaps, [iv(120, 150)], "no claim: untrusted");
  });

  it("fault hook store.repair.reply-twice: the reply goes out twice, the same", () => {
    const rig = new StoreRig(S, ref(40), SUCC);
    rig.env.buggifySites.add("store.repair.reply-twice");
    rig.deliver(ref(9), { type: "repairAsk", repair: 5, from: 120n, to: 230n });
    const replies = sentMsgs(rig.env, "repairReply");
    assert.equal(replies.length, 2);
    assert.deepEqual(replies[0], replies[1]);
  });

  it("a duplicated reply is taken once", () => {
    const rig = grown();
    const reply = answer(rig, 1, { covered: 130 });
    const asked = asks(rig).length;
    rig.deliver(CLASS_OWNERS[0] ?? SUCC, reply);
    assert.equal(asks(rig).length, asked, "the duplicate did not advance the class again");
  });
});

describe("repair: a repair settles only its own parts", () => {
  it("a hand-over awaited later inside a repair's range stays unsynced when the repair settles", () => {
    const rig = grown(); // repairing (40, 100]
    const X = ref(70);
    rig.predChange(X, "joiner"); // (40, 70] goes to X...
    const [toX] = sentMsgs(rig.env, "handover");
    assert.ok(toX !== undefined);
    rig.deliver(X, { type: "handoverAck", transfer: toX.transfer });
    rig.predChange(ref(40), "leave"); // ...which leaves again: (40, 70] awaits X's hand-over
    assert.deepEqual(rig.unsynced(), [
      [70, 100],
      [40, 70],
    ]);
    answer(rig, 1);
    answer(rig, 2);
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), [[40, 70]], "the repair settled its own part, not X's hand-over");
    assert.equal(rig.store.serves(50n), false, "X's writes have not arrived: (40, 70] is not served");
    assert.equal(rig.claim(), null);
    rig.deliver(X, handover(1, 40, 70, []));
    assert.deepEqual(rig.unsynced(), []);
  });

  it("answers read before the range was handed away do not settle the repair of its return", () => {
    const rig = grown();
    const old = asks(rig).map((s) => ({ to: s.to, msg: s.msg }));
    rig.predChange(ref(100), "joiner"); // (40, 100] goes to a joiner, which takes writes...
    rig.predChange(ref(40), "fix"); // ...and crashes: (40, 100] is repaired afresh
    assert.deepEqual(rig.unsynced(), [[40, 100]]);
    for (const { to, msg } of old)
      rig.deliver(to, {
        type: "repairReply",
        repair: msg.repair,
        from: msg.from,
        covered: msg.to,
        items: [],
        gaps: [],
      });
    assert.deepEqual(rig.unsynced(), [[40, 100]], "the stale answers count for nothing");
    answer(rig, 1);
    answer(rig, 2);
    answer(rig, 3);
    assert.deepEqual(rig.unsynced(), [], "the fresh repair settles it");
  });

  it("a repair whose range was handed away whole stops at once", () => {
    const rig = grown();
    rig.predChange(ref(100), "joiner"); // all of (40, 100] goes to a joiner
    const before = asks(rig).length;
    answer(rig, 1, { covered: 130 }); // an answer in flight does not lead to the next owner
    rig.advance(RETRY_MS * 3);
    assert.equal(asks(rig).length, before);
  });
});
