// One relaxed-ring node on the scripted recording Env (test/helpers/recording-env.ts), for the rule
// tests: ids on a ring of 256 so positions read as plain numbers, peers named after their ids, and a
// member built the way a joiner becomes one (a joinOk from its successor).

import { IdSpace } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { DEFAULT_OVERLAY, type OverlayConfig } from "../../src/overlay/config.js";
import type { PingPayload, RingMessage, RingRef, RingTimer } from "../../src/overlay/messages.js";
import { RelaxedRingNode } from "../../src/overlay/relaxed-ring-node.js";
import type { RingHooks } from "../../src/overlay/ring-hooks.js";
import { RecordingEnv } from "../helpers/recording-env.js";

export const ids = new IdSpace(8);
export const RING: RingRef = { name: DEFAULT_OVERLAY.ringName, uid: 1000 };
export type RingEnv = RecordingEnv<RingMessage, RingTimer>;

/** The peer at position `id` (incarnation `nonce`). */
export const ref = (id: number, nonce = 1): NodeRef => ({ id: BigInt(id), addr: `n${id}`, nonce });
export const refs = (list: readonly number[]): NodeRef[] => list.map((id) => ref(id));
/** A peer's position as a number, for assertions (null stays null). */
export const at = (peer: NodeRef | null | undefined): number | null =>
  peer === null || peer === undefined ? null : Number(peer.id);
export const positions = (peers: readonly NodeRef[]): number[] => peers.map((p) => Number(p.id));

export interface OneNode {
  readonly env: RingEnv;
  readonly node: RelaxedRingNode;
}

export interface NodeOptions {
  readonly config?: Partial<OverlayConfig>;
  readonly contact?: NodeRef | null;
  readonly wished?: RingRef | null;
  readonly nonce?: number;
  readonly hooks?: RingHooks;
}

/** A started node at `self`: the ring's first node without a contact, else a joiner. */
export function startNode(self: number, options: NodeOptions = {}): OneNode {
  const env: RingEnv = new RecordingEnv(ref(self, options.nonce ?? 1));
  const config = { ...DEFAULT_OVERLAY, ...options.config };
  const node = new RelaxedRingNode(
    env,
    config,
    ids,
    options.contact ?? null,
    options.wished ?? null,
    options.hooks ?? {},
  );
  node.start();
  return { env, node };
}

/**
 * A member at `self` whose successor `succList[0]` answered its join with joinOk{pred, its list}: so
 * pred and succ are watched, and the list is `succList`. What it sent on the way is forgotten.
 */
export function member(
  self: number,
  pred: number,
  succList: readonly number[],
  options: NodeOptions = {},
): OneNode {
  const [succ, ...rest] = succList;
  if (succ === undefined) throw new Error("a member needs a successor");
  const one = startNode(self, { ...options, contact: ref(succ) });
  one.node.onMessage(ref(succ), {
    type: "joinOk",
    pred: ref(pred),
    succ: ref(succ),
    succList: refs(rest),
    ring: RING,
  });
  one.env.drain();
  return one;
}

/** A sign of life from `peer` that changes nothing else (the FD counts any message). */
export function heardFrom(one: OneNode, peer: NodeRef): void {
  one.node.onMessage(peer, { type: "passivePong" });
}

/**
 * Advances time by `ms` in steps of `stepMs`, `alive` peers answering every message in between (a
 * sign of life), the others silent: the failure detector suspects exactly the silent ones it watches.
 */
export function advanceWith(one: OneNode, ms: number, alive: readonly NodeRef[], stepMs = 100): void {
  for (let done = 0; done < ms; done += stepMs) {
    one.env.advance(Math.min(stepMs, ms - done), one.node);
    for (const peer of alive) heardFrom(one, peer);
  }
}

/** A ping or pong payload from a peer with these neighbours. */
export function payload(pred: NodeRef | null, succ: NodeRef | null, digest = 0): PingPayload {
  return { pred, succ, ring: RING, succListDigest: digest };
}

/** Where messages of `type` went, as positions, since the last drain. */
export function sentTo(env: RingEnv, type: RingMessage["type"]): number[] {
  return env.sent.filter((s) => s.msg.type === type).map((s) => Number(s.to.id));
}
