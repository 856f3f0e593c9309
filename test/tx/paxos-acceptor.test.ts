// The acceptors of Paxos Commit, one rule per test (docs/transactions.md §5, §8): the pure rules of
// paxos-acceptor.ts, and a TxCoordinator on node 4 (acceptor 1 of node 0's transactions) driven through
// the recording Env. Then two properties over any interleaving of votes, ballots and accepts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AcceptorState,
  acceptBallot,
  acceptedVotes,
  acceptFast,
  checkAcceptorStep,
  FRESH_ACCEPTOR,
  nextBallot,
  promise,
  proposal,
} from "../../src/tx/paxos-acceptor.js";
import type { Vote } from "../../src/tx/tx-lock.js";
import type { AcceptedVote, TxMessage } from "../../src/tx/tx-messages.js";
import { acceptorsOf, CONFIG, coordinatorAt, F, node } from "./fixtures.js";

const TID = "1000.1";
const KEYS = ["a"];

/** Acceptor 1 of node 0's transaction `TID` (one key, so instances 0..3). */
function acceptor() {
  const c = coordinatorAt(4);
  const deliver = (msg: TxMessage, from = node(0)) => {
    c.tx.onMessage(from, msg);
    c.ring.settle();
  };
  const vote = (instance: number, v: Vote) =>
    deliver(
      { type: "txVote", tid: TID, instance, vote: v, reason: "", keys: KEYS, acceptors: acceptorsOf(0) },
      node(9),
    );
  const ballot = (b: number, from = node(8)) =>
    deliver({ type: "txBallot", tid: TID, ballot: b, keys: KEYS, acceptors: acceptorsOf(0) }, from);
  const accept = (b: number, votes: readonly AcceptedVote[], from = node(8)) =>
    deliver({ type: "txAccept", tid: TID, ballot: b, votes }, from);
  return { ...c, vote, ballot, accept };
}

const all = (v: Vote): AcceptedVote[] =>
  Array.from({ length: F }, (_, instance) => ({ instance, ballot: 0, vote: v }));

describe("an acceptor (docs/transactions.md §8)", () => {
  it("an acceptor refuses a lower ballot", () => {
    const a = acceptor();
    a.ballot(6);
    a.ballot(3, node(12));
    const promises = a.env.sentOf("txPromise");
    assert.deepEqual(
      promises.map((s) => [s.to.addr, s.msg.ballot, s.msg.ok, s.msg.promised]),
      [
        ["node:8", 6, true, 6],
        ["node:12", 3, false, 6],
      ],
    );
  });

  it("an acceptor refuses an accept below its promise", () => {
    const a = acceptor();
    a.ballot(7);
    a.accept(3, all("abort"), node(12));
    assert.equal(a.env.sentOf("txAccepted").length, 0);
    a.ballot(9, node(12));
    const refused = a.env.sentOf("txPromise").at(-1);
    assert.ok(refused?.msg.ok, "ballot 9 is promised");
    assert.deepEqual(refused?.msg.accepted, [], "ballot 3's values were not accepted");
  });

  it("an acceptor answers a leader's accept at or above its promise to that leader", () => {
    const a = acceptor();
    a.ballot(7);
    a.accept(7, all("prepared"));
    const accepted = a.env.sentOf("txAccepted");
    assert.deepEqual(
      accepted.map((s) => [s.to.addr, s.msg.index, s.msg.ballot]),
      [["node:8", 1, 7]],
    );
  });

  it("a promise returns the value accepted with the highest ballot", () => {
    const a = acceptor();
    a.vote(0, "prepared");
    a.ballot(2);
    a.accept(2, all("abort"));
    a.ballot(6, node(12));
    a.accept(6, all("prepared"), node(12));
    a.ballot(11);
    const last = a.env.sentOf("txPromise").at(-1);
    assert.ok(last?.msg.ok);
    assert.deepEqual(
      last?.msg.accepted.map((v) => [v.instance, v.ballot, v.vote]),
      [
        [0, 6, "prepared"],
        [1, 6, "prepared"],
        [2, 6, "prepared"],
        [3, 6, "prepared"],
      ],
    );
  });

  it("a TP's vote is accepted at ballot 0 once per instance", () => {
    const a = acceptor();
    a.vote(0, "prepared");
    a.vote(0, "abort");
    a.env.advance(CONFIG.bundleWaitMs, a.process);
    const bundles = a.env.sentOf("txAccepted");
    assert.equal(bundles.length, 1);
    assert.deepEqual(bundles[0]?.msg.votes, [{ instance: 0, ballot: 0, vote: "prepared" }]);
  });

  it("a TP's vote that comes after a leader's promise is refused", () => {
    const a = acceptor();
    a.ballot(2);
    a.vote(1, "prepared");
    a.env.advance(CONFIG.bundleWaitMs + 1000, a.process);
    assert.equal(a.env.sentOf("txAccepted").length, 0);
    a.ballot(6);
    assert.deepEqual(a.env.sentOf("txPromise").at(-1)?.msg.accepted, [], "instance 1 holds no value");
  });

  it("an acceptor tells the TM in one message once every instance has a vote", () => {
    const a = acceptor();
    for (let i = 0; i < F; i++) a.vote(i, i === 2 ? "abort" : "prepared");
    const bundles = a.env.sentOf("txAccepted");
    assert.equal(bundles.length, 1, "one bundle, sent at once");
    assert.equal(bundles[0]?.to.addr, "node:0", "to the TM, acceptor 0");
    assert.deepEqual(
      bundles[0]?.msg.votes.map((v) => v.vote),
      ["prepared", "prepared", "abort", "prepared"],
    );
  });

  it("an acceptor sends what it has when the bundle wait ends", () => {
    const a = acceptor();
    a.vote(0, "prepared");
    a.vote(3, "prepared");
    assert.equal(a.env.sentOf("txAccepted").length, 0, "two of four instances: wait");
    a.env.advance(CONFIG.bundleWaitMs, a.process);
    assert.deepEqual(
      a.env.sentOf("txAccepted").map((s) => s.msg.votes.map((v) => v.instance)),
      [[0, 3]],
    );
  });

  it("a node that is not one of the transaction's acceptors keeps nothing and answers nothing", () => {
    const c = coordinatorAt(5);
    c.tx.onMessage(node(9), {
      type: "txVote",
      tid: TID,
      instance: 0,
      vote: "prepared",
      reason: "",
      keys: KEYS,
      acceptors: acceptorsOf(0),
    });
    c.tx.onMessage(node(8), { type: "txBallot", tid: TID, ballot: 3, keys: KEYS, acceptors: acceptorsOf(0) });
    c.env.advance(1000, c.process);
    assert.equal(c.env.sent.length, 0);
  });
});

describe("the acceptor's pure rules (docs/transactions.md §8)", () => {
  it("a leader proposes, per instance, the vote accepted with the highest ballot, and abort where none was", () => {
    const votes = proposal(3, [
      [{ instance: 0, ballot: 0, vote: "prepared" }],
      [
        { instance: 0, ballot: 2, vote: "abort" },
        { instance: 1, ballot: 0, vote: "prepared" },
      ],
      [],
    ]);
    assert.deepEqual(
      votes.map((v) => v.vote),
      ["abort", "prepared", "abort"],
    );
  });

  it("leader j's ballots are j+1 + k(f+1), the smallest above the highest seen", () => {
    assert.equal(nextBallot(0, 4, 0), 1);
    assert.equal(nextBallot(2, 4, 0), 3);
    assert.equal(nextBallot(2, 4, 3), 8);
    assert.equal(nextBallot(1, 4, 9), 12);
    for (let j = 0; j < 4; j++)
      for (let seen = 0; seen < 40; seen++) {
        const b = nextBallot(j, 4, seen);
        assert.ok(b > seen && (b - j - 1) % 5 === 0 && b - 5 <= seen, `j ${j} seen ${seen}: ${b}`);
      }
  });
});

// ---- properties --------------------------------------------------------------------------------

type Op =
  | { readonly kind: "fast"; readonly instance: number; readonly vote: Vote }
  | { readonly kind: "promise"; readonly ballot: number }
  | { readonly kind: "accept"; readonly ballot: number; readonly votes: readonly Vote[] };

const INSTANCES = 3;
const voteArb = fc.constantFrom<Vote>("prepared", "abort");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("fast" as const), instance: fc.nat(INSTANCES - 1), vote: voteArb }),
  fc.record({ kind: fc.constant("promise" as const), ballot: fc.nat(30) }),
  fc.record({
    kind: fc.constant("accept" as const),
    ballot: fc.nat(30),
    votes: fc.array(voteArb, { minLength: INSTANCES, maxLength: INSTANCES }),
  }),
);

function step(state: AcceptorState, op: Op): AcceptorState | null {
  if (op.kind === "fast") return acceptFast(state, op.instance, op.vote);
  if (op.kind === "promise") return promise(state, op.ballot);
  return acceptBallot(
    state,
    op.ballot,
    op.votes.map((vote, instance) => ({ instance, ballot: 0, vote })),
  );
}

/**
 * One Paxos Commit run among `acceptors` acceptors: TPs vote, leaders lead; each message reaches the
 * acceptors in `mask` (any subset: the rest are lost or late), in any order.
 */
type Action =
  | { readonly kind: "vote"; readonly instance: number; readonly mask: number }
  | { readonly kind: "lead"; readonly leader: number; readonly above: number }
  | { readonly kind: "prepare"; readonly leader: number; readonly mask: number }
  | { readonly kind: "propose"; readonly leader: number }
  | { readonly kind: "accept"; readonly leader: number; readonly mask: number };

interface Leader {
  readonly index: number;
  ballot: number;
  readonly promises: Map<number, readonly AcceptedVote[]>;
  votes: AcceptedVote[] | null;
}

const LEADERS = 3;

function runPaxos(acceptors: number, tpVotes: readonly Vote[], actions: readonly Action[]) {
  const majority = Math.floor(acceptors / 2) + 1;
  const states: AcceptorState[] = Array.from({ length: acceptors }, () => FRESH_ACCEPTOR);
  const leaders: Leader[] = Array.from({ length: LEADERS }, (_, index) => ({
    index,
    ballot: 0,
    promises: new Map(),
    votes: null,
  }));
  /** Every acceptance: acceptor, instance, ballot, vote. */
  const accepts: [number, number, number, Vote][] = [];
  const proposals: { ballot: number; votes: readonly AcceptedVote[] }[] = [];
  const apply = (
    to: number,
    step: (s: AcceptorState) => AcceptorState | null,
    changed: readonly number[],
  ) => {
    const before = states[to] ?? FRESH_ACCEPTOR;
    const next = step(before);
    if (next === null) return null;
    checkAcceptorStep(before, next, changed, `acceptor ${to}`);
    for (const instance of changed) {
      const now = next.accepted.get(instance);
      if (now !== undefined && now !== before.accepted.get(instance))
        accepts.push([to, instance, now.ballot, now.vote]);
    }
    states[to] = next;
    return next;
  };
  const reached = (mask: number) =>
    Array.from({ length: acceptors }, (_, i) => i).filter((i) => (mask >> i) & 1);
  for (const a of actions) {
    const leader = "leader" in a ? leaders[a.leader] : undefined;
    if (a.kind === "vote") {
      const vote = tpVotes[a.instance] ?? "abort";
      for (const to of reached(a.mask)) apply(to, (s) => acceptFast(s, a.instance, vote), [a.instance]);
    } else if (leader === undefined) {
    } else if (a.kind === "lead") {
      leader.ballot = nextBallot(leader.index, acceptors, Math.max(leader.ballot, a.above));
      leader.promises.clear();
      leader.votes = null;
    } else if (a.kind === "prepare" && leader.ballot > 0) {
      for (const to of reached(a.mask)) {
        const next = apply(to, (s) => promise(s, leader.ballot), []);
        if (next !== null && leader.votes === null) leader.promises.set(to, acceptedVotes(next));
      }
    } else if (a.kind === "propose" && leader.votes === null && leader.promises.size >= majority) {
      leader.votes = proposal(tpVotes.length, [...leader.promises.values()]);
      proposals.push({ ballot: leader.ballot, votes: leader.votes });
    } else if (a.kind === "accept" && leader.votes !== null) {
      const votes = leader.votes;
      const ballot = leader.ballot;
      for (const to of reached(a.mask))
        apply(
          to,
          (s) => acceptBallot(s, ballot, votes),
          votes.map((v) => v.instance),
        );
    }
  }
  return { majority, accepts, proposals };
}

/** Which acceptors a message reaches: often all of them, else any subset. */
const maskArb = fc.oneof(fc.constant(31), fc.nat(31));
const leaderArb = fc.nat(LEADERS - 1);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("vote" as const),
      instance: fc.nat(INSTANCES - 1),
      mask: maskArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("lead" as const), leader: leaderArb, above: fc.nat(12) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("prepare" as const), leader: leaderArb, mask: maskArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("propose" as const), leader: leaderArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("accept" as const), leader: leaderArb, mask: maskArb }),
  },
);

describe("acceptor properties (docs/transactions.md §7, §8)", () => {
  it("for any interleaving of votes, promises and accepts with any ballots, no accept goes below the promise and the promise never decreases", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 40 }), (ops) => {
        let state = FRESH_ACCEPTOR;
        for (const op of ops) {
          const next = step(state, op);
          if (next === null) continue;
          assert.ok(next.promised >= state.promised, "the promise never decreases");
          for (const [instance, a] of next.accepted) {
            if (a === state.accepted.get(instance)) continue;
            assert.ok(
              a.ballot >= state.promised,
              `instance ${instance} accepted at ${a.ballot} below ${state.promised}`,
            );
            if (op.kind === "fast") assert.equal(state.promised, 0, "ballot 0 only before any promise");
          }
          state = next;
        }
      }),
    );
  });

  it("once a majority accepted a value at some ballot, every higher-ballot proposal carries that value", () => {
    const run = fc
      .integer({ min: 3, max: 5 })
      .chain((acceptors) =>
        fc.tuple(
          fc.constant(acceptors),
          fc.array(voteArb, { minLength: INSTANCES, maxLength: INSTANCES }),
          fc.array(actionArb, { minLength: 30, maxLength: 60 }),
        ),
      );
    let checked = 0;
    fc.assert(
      fc.property(run, ([acceptors, tpVotes, actions]) => {
        const { majority, accepts, proposals } = runPaxos(acceptors, tpVotes, actions);
        const by = new Map<string, Set<number>>();
        for (const [to, instance, ballot, vote] of accepts) {
          const slot = `${instance}/${ballot}/${vote}`;
          by.set(slot, (by.get(slot) ?? new Set()).add(to));
        }
        for (const [slot, who] of by) {
          if (who.size < majority) continue;
          const [instance, ballot, vote] = slot.split("/");
          for (const p of proposals)
            if (p.ballot > Number(ballot)) {
              checked++;
              assert.equal(p.votes[Number(instance)]?.vote, vote, `chosen ${slot}, proposed at ${p.ballot}`);
            }
        }
      }),
      { numRuns: 3000 },
    );
    assert.ok(checked > 2000, `the runs chose values and proposed above them ${checked} times`);
  });
});
