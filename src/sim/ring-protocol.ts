// How ring scenarios drive a ring protocol without knowing which one it is: the relaxed ring and the
// Chord baseline both plug in here, so every ring figure is computed the same way for both
// (docs/metrics.md §3), on the same seed and the same network.

import type { Env, Process } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import type { MessageBase, TimerTagBase } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";
import { type NodeMessage, type NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import { DEFAULT_OVERLAY, type OverlayConfig, overlayParams } from "../overlay/config.js";
import type { RingMessage, RingTimer } from "../overlay/messages.js";
import { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import type { RingNodeApi } from "../overlay/ring-view.js";
import { DEFAULT_PROPOSER, type ProposerConfig } from "../store/kv-proposer.js";
import { DEFAULT_STORE, type StoreConfig } from "../store/replica-store.js";
import { DEFAULT_TX, type TxConfig } from "../tx/tx-coordinator.js";
import { type Disk, JournaledStorePort } from "./journaled-store.js";
import type { ParamValue } from "./scenario.js";
import { SyncBeforeSendEnv } from "./sync-before-send-env.js";

export type RingProcess<M extends MessageBase, T extends TimerTagBase> = Process<M, T> & RingNodeApi;

/** A simulated node's durability: the live `--durability` (docs/architecture.md §5). */
export type SimDurability = "sync" | "process";

export interface RingProtocol<M extends MessageBase, T extends TimerTagBase> {
  readonly name: "relaxed" | "chord";
  /** k of the k-ary finger ids (2 for Chord), for the finger-correctness checker. */
  readonly fingerArity: number;
  /** Successor-list length L, for the successor-list checker. */
  readonly succListSize: number;
  /** Protocol constants, echoed in the scenario's params. */
  readonly constants: Readonly<Record<string, ParamValue>>;
  /** `disk`: what a restarted machine boots from (the power-loss fault); none for a new one. */
  create(env: Env<M, T>, ids: IdSpace, accessPoint: NodeRef | null, disk?: Disk): RingProcess<M, T>;
  /** The disk a power cut would leave this process's machine (null: the protocol keeps no disk). */
  diskAfterPowerLoss?(running: RingProcess<M, T>): Disk | null;
  /** An OS writeback of every live node's disk (`process` durability; a no-op under `sync`). */
  writeback?(processes: readonly RingProcess<M, T>[]): void;
  /** Failure-detector traffic, which `ringMessages` leaves out (the paper's maintenance count). */
  isFailureDetectorMessage(type: string): boolean;
}

export function relaxedRing(overrides: Partial<OverlayConfig> = {}): RingProtocol<RingMessage, RingTimer> {
  const config: OverlayConfig = { ...DEFAULT_OVERLAY, ...overrides };
  return {
    name: "relaxed",
    fingerArity: config.k,
    succListSize: config.succListSize,
    constants: { protocol: "relaxed", ...overlayParams(config) },
    create: (env, ids, accessPoint) => new RelaxedRingNode(env, config, ids, accessPoint),
    isFailureDetectorMessage: (type) => type === "ping" || type === "pong",
  };
}

/** The full node — relaxed ring, replicas, single-key operations — each with a memory store. */
export function selfmanRing(
  overrides: {
    overlay?: Partial<OverlayConfig>;
    store?: Partial<StoreConfig>;
    proposer?: Partial<ProposerConfig>;
    tx?: Partial<TxConfig>;
    /** How durable a node's writes are before it sends (the power-loss fault's rule; default `sync`). */
    durability?: SimDurability;
  } = {},
): RingProtocol<NodeMessage, NodeTimer> {
  const durability = overrides.durability ?? "sync";
  const disks = new WeakMap<RingProcess<NodeMessage, NodeTimer>, JournaledStorePort>();
  const overlay: OverlayConfig = { ...DEFAULT_OVERLAY, ...overrides.overlay };
  const store: StoreConfig = { ...DEFAULT_STORE, ...overrides.store };
  const proposer: ProposerConfig = {
    ...DEFAULT_PROPOSER,
    ...overrides.proposer,
    replication: store.replication,
  };
  const tx: TxConfig = { ...DEFAULT_TX, ...overrides.tx, replication: store.replication };
  return {
    name: "relaxed",
    fingerArity: overlay.k,
    succListSize: overlay.succListSize,
    constants: {
      protocol: "selfman",
      ...overlayParams(overlay),
      f: store.replication,
      handoverWaitMs: store.handoverWaitMs,
      repairRetryMs: store.repairRetryMs,
      antiEntropyMs: store.antiEntropyMs,
      opAttemptTimeoutMs: proposer.attemptTimeoutMs,
      opDeadlineMs: proposer.deadlineMs,
    },
    create: (env, ids, accessPoint, disk) => {
      // A store written under `process` durability before a power cut is not trusted: the node rejoins
      // unsynced (docs/replication.md §6, D5).
      const port = new JournaledStorePort(ids, disk, durability === "sync");
      const nodeEnv = durability === "sync" ? new SyncBeforeSendEnv(env, () => port.sync()) : env;
      const node = new SelfmanNode(nodeEnv, { overlay, store, proposer, tx }, ids, port, accessPoint);
      disks.set(node, port);
      return node;
    },
    diskAfterPowerLoss: (running) => disks.get(running)?.afterPowerLoss() ?? null,
    writeback: (processes) => {
      for (const running of processes) disks.get(running)?.sync();
    },
    isFailureDetectorMessage: (type) => type === "ping" || type === "pong",
  };
}
