// The transaction layer's messages and timers (docs/transactions.md §5, §8), declared once. A
// transaction `tid` has n items with f replicas each: instance i·f + j is the Paxos instance of item
// i's replica j, choosing "prepared" or "abort". Acceptor 0 is the TM, acceptors 1..f-1 its rTMs.
import type { RingId } from "../core/id-space.js";
import type { Msg } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";
import type { Round } from "../store/item.js";
import type { TxEntry, Vote } from "./tx-lock.js";

/** What one acceptor accepted for one instance. */
export interface AcceptedVote {
  readonly instance: number;
  readonly ballot: number;
  readonly vote: Vote;
}

export type TxMessage =
  /** TM → the replica owning `replicaId` of item `item` (round 1, docs/transactions.md §5). */
  | Msg<
      "txPrepare",
      {
        tid: string;
        item: number;
        replica: number;
        replicaId: RingId;
        entry: TxEntry;
        keys: readonly string[];
        round: Round;
        acceptors: readonly NodeRef[];
      }
    >
  /** TP → every acceptor: Paxos phase 2a with the TP's own ballot 0 (round 2, `vote`). */
  | Msg<
      "txVote",
      {
        tid: string;
        instance: number;
        vote: Vote;
        reason: string;
        keys: readonly string[];
        acceptors: readonly NodeRef[];
      }
    >
  /** A replica that does not own `replicaId` (any more) tells the TM, which routes again. */
  | Msg<"txMisrouted", { tid: string; item: number; replica: number }>
  /**
   * TM → rTM j: the log, so that rTM can finish the transaction if the TM fails (docs/transactions.md §8).
   */
  | Msg<
      "txInit",
      { tid: string; index: number; acceptors: readonly NodeRef[]; log: readonly TxEntry[]; round: Round }
    >
  /** Acceptor → learner: phase 2b (round 3, `voteAck`); `index`: the acceptor's. */
  | Msg<"txAccepted", { tid: string; index: number; ballot: number; votes: readonly AcceptedVote[] }>
  /** Leader with `ballot` → acceptors: phase 1a for every instance of the transaction. */
  | Msg<"txBallot", { tid: string; ballot: number; keys: readonly string[]; acceptors: readonly NodeRef[] }>
  /** Acceptor → leader: phase 1b, with everything it accepted; ok false: `promised` is higher. */
  | Msg<
      "txPromise",
      {
        tid: string;
        index: number;
        ballot: number;
        ok: boolean;
        promised: number;
        accepted: readonly AcceptedVote[];
      }
    >
  /** Leader → acceptors: phase 2a with `ballot` for every instance. */
  | Msg<"txAccept", { tid: string; ballot: number; votes: readonly AcceptedVote[] }>
  /** Decider → the replica owning `replicaId` (round 4, `final`). */
  | Msg<
      "txFinal",
      { tid: string; commit: boolean; item: number; replica: number; key: string; replicaId: RingId }
    >
  /**
   * TP → decider: the outcome is applied (round 5); `holds`: this replica holds a commit's value (the
   * client hears once a majority of each item's replicas holds it).
   */
  | Msg<"txApplied", { tid: string; item: number; replica: number; holds: boolean }>
  /** Decider → the other acceptors: the outcome (they stop their takeover timers and answer askers). */
  | Msg<"txDecided", { tid: string; commit: boolean }>
  /** A replica holding a lock for long asks the transaction's acceptors for the outcome. */
  | Msg<"txAsk", { tid: string; key: string; replicaId: RingId }>;

export type TxTimer =
  /** TM: instances still undecided after the voting period are decided by a ballot of its own. */
  | Msg<"txVoteTimeout", { tid: string }>
  /** rTM: the TM has not decided in time; take over (docs/transactions.md §8). */
  | Msg<"txTakeover", { tid: string; attempt: number }>
  /** Decider: send `final` again to the replicas that have not applied it. */
  | Msg<"txFinalResend", { tid: string; attempt: number }>
  /** TP: look for locks held for long, and ask their transactions' acceptors. */
  | Msg<"txLockCheck">
  /** Acceptor: send the acceptances bundled so far (some TP has not voted yet). */
  | Msg<"txFlush", { tid: string }>
  /** TM: the client hears `timeout` if it has no outcome yet. */
  | Msg<"txDeadline", { tid: string }>
  /** TM: look the rTMs up again for a commit waiting on them (the last lookup failed). */
  | Msg<"txRtmRetry", { retry: number }>
  /** Forget finished transactions. */
  | Msg<"txGc">;
