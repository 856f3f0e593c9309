// How ring scenarios drive a ring protocol without knowing which one it is: the relaxed ring and the
// Chord baseline both plug in here, so every ring figure is computed the same way for both
// (METRICS.md §3), on the same seed and the same network.
import type { Env, Process } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import type { MessageBase, TimerTagBase } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";
import { DEFAULT_OVERLAY, type OverlayConfig, overlayParams } from "../overlay/config.js";
import type { RingMessage, RingTimer } from "../overlay/messages.js";
import { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import type { RingNodeApi } from "../overlay/ring-view.js";
import type { ParamValue } from "./scenario.js";

export type RingProcess<M extends MessageBase, T extends TimerTagBase> = Process<M, T> & RingNodeApi;

export interface RingProtocol<M extends MessageBase, T extends TimerTagBase> {
  readonly name: "relaxed" | "chord";
  /** k of the k-ary finger ids (2 for Chord), for the finger-correctness checker. */
  readonly fingerArity: number;
  /** Protocol constants, echoed in the scenario's params. */
  readonly constants: Readonly<Record<string, ParamValue>>;
  create(env: Env<M, T>, ids: IdSpace, accessPoint: NodeRef | null): RingProcess<M, T>;
  /** Failure-detector traffic, which `ringMessages` leaves out (the paper's maintenance count). */
  isFailureDetectorMessage(type: string): boolean;
}

export function relaxedRing(overrides: Partial<OverlayConfig> = {}): RingProtocol<RingMessage, RingTimer> {
  const config: OverlayConfig = { ...DEFAULT_OVERLAY, ...overrides };
  return {
    name: "relaxed",
    fingerArity: config.k,
    constants: { protocol: "relaxed", ...overlayParams(config) },
    create: (env, ids, accessPoint) => new RelaxedRingNode(env, config, ids, accessPoint),
    isFailureDetectorMessage: (type) => type === "ping" || type === "pong",
  };
}
