// The dashboard's survey events (docs/dashboard.md §5) on surveys built by hand: a node gone, a node
// new, a suspicion that starts (and one that goes on, which is not an event again), the verdict turning.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingSurvey, SurveyedNode } from "../../src/api/ring-survey.js";
import { DropReason } from "../../src/runtime/transport-stats.js";
import { ringDiff } from "../../src/web/ui/ring-diff.js";

function node(name: string, suspects: readonly string[] = []): SurveyedNode {
  const ref = (n: string) => ({
    id: String(Number(n.slice(5)) * 1000),
    addr: `127.0.0.1:${n.slice(5)}`,
    nonce: 1,
  });
  return {
    ...ref(name),
    name,
    admin: `127.0.0.1:1${name.slice(5)}`,
    pid: 1,
    member: true,
    ring: { name: "selfman", uid: 1 },
    pred: null,
    succ: null,
    succList: [],
    predList: [],
    branch: { root: false, members: [] },
    fingers: [],
    routingTableSize: 0,
    suspected: suspects.map(ref),
    uptimeSec: 1,
    failureDetector: { timeoutMs: 500, monitored: 2, suspicions: 0, falseSuspicions: 0 },
    transport: {
      framesIn: 0,
      framesOut: 0,
      writesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      connectionsIn: 0,
      connectionsOut: 0,
      dropped: Object.fromEntries(Object.values(DropReason).map((reason) => [reason, 0])) as Record<
        DropReason,
        number
      >,
    },
    lookupsAnswered: 0,
    operations: { completed: 0, failed: 0, latencyP50Ms: null, latencyP99Ms: null },
    store: { items: 0, unsynced: 0, operationsInFlight: 0, transactionsInFlight: 0 },
  };
}

function survey(nodes: readonly SurveyedNode[], perfect: boolean): RingSurvey {
  return {
    perfect,
    problem: perfect ? null : "node-2's pred is not node-1",
    coreSize: nodes.length,
    branches: 0,
    branchSizeMean: null,
    staleSuccLists: [],
    unreachable: [],
    malformed: [],
    nodes,
  };
}

const kinds = (events: readonly { kind: string; node: string }[]) =>
  events.map((e) => `${e.kind} ${e.node}`).sort();

describe("the dashboard's survey events", () => {
  it("the first survey says only the verdict", () => {
    assert.deepEqual(kinds(ringDiff(null, survey([node("node-1"), node("node-2")], true), 0)), [
      "ring-perfect ring",
    ]);
  });

  it("a node that stops answering, a suspicion, and the verdict turning", () => {
    const before = survey([node("node-1"), node("node-2"), node("node-3")], true);
    const after = survey([node("node-1", ["node-2"]), node("node-3")], false);
    assert.deepEqual(kinds(ringDiff(before, after, 5)), [
      "node-gone node-2",
      "ring-imperfect ring",
      "suspicion node-1",
    ]);
  });

  it("a suspicion that goes on and an unchanged verdict are not events again; a newcomer is", () => {
    const before = survey([node("node-1", ["node-2"]), node("node-3")], false);
    const after = survey([node("node-1", ["node-2"]), node("node-3"), node("node-4")], false);
    assert.deepEqual(kinds(ringDiff(before, after, 9)), ["node-new node-4"]);
  });

  it("every event carries the time it was seen and says it came from the survey", () => {
    const events = ringDiff(survey([node("node-1")], false), survey([node("node-1")], true), 1234);
    assert.deepEqual(
      events.map((e) => [e.atMs, e.source]),
      [[1234, "survey"]],
    );
  });
});
