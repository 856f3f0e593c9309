// The schema of every relaxed-ring message (messages.ts), which the live transport applies to each
// decoded frame before the node sees it (docs/architecture.md §6). Keep it in step with RingMessage: the
// `satisfies` below makes the compiler say when a message kind has no schema.
import type { IdSpace } from "../core/id-space.js";
import { nodeRefSchema } from "../core/node-ref.js";
import {
  array,
  bigintBelow,
  bool,
  nullable,
  object,
  type Schema,
  str,
  tagged,
  uint,
} from "../core/schema.js";
import type { RingMessage, RingRef, RoutedPayload } from "./messages.js";

/** Lists in messages are never longer than this (succList is 8 by default; the bound leaves room). */
export const MAX_LIST = 64;

/** The schema of one relaxed-ring message in the id space `ids`. */
export function ringMessageSchema(ids: IdSpace): Schema<RingMessage> {
  return tagged<RingMessage, "type">("type", ringMessageVariants(ids));
}

/** The ring's message kinds and their schemas (to be joined with other layers' into one union). */
export function ringMessageVariants(ids: IdSpace) {
  const ref = nodeRefSchema(ids);
  const optionalRef = nullable(ref);
  const refs = array(ref, MAX_LIST);
  const ringId = bigintBelow(ids.size);
  const ringRef: Schema<RingRef> = object({ name: str(64), uid: uint(0xffff_ffff) });
  const pingPayload = object({
    pred: optionalRef,
    succ: optionalRef,
    ring: nullable(ringRef),
    succListDigest: uint(0xffff_ffff),
  });
  const neighbours = object({ pred: optionalRef, succ: optionalRef, next: array(ref, MAX_LIST) });
  const none = object({});
  const payload = tagged<RoutedPayload, "kind">("kind", {
    join: object({ ring: nullable(ringRef) }),
    lookup: object({ lookupId: uint() }),
    needFinger: none,
    mlookup: object({ target: ref }),
  });
  const withHopId = object({
    hopId: uint(),
    pred: optionalRef,
    succ: optionalRef,
    next: array(ref, MAX_LIST),
  });
  const withKey = object({ key: ringId, pred: optionalRef, succ: optionalRef, next: array(ref, MAX_LIST) });
  return {
    ping: pingPayload,
    pong: pingPayload,
    probe: none,
    probeReply: neighbours,
    route: object({
      key: ringId,
      origin: ref,
      hops: uint(1024),
      last: bool,
      payload,
      hopId: uint(),
    }),
    routeAck: withHopId,
    lookupReply: object({ lookupId: uint(), key: ringId, responsible: ref, hops: uint(1024) }),
    newFinger: withKey,
    joinOk: object({ pred: optionalRef, succ: ref, succList: refs, ring: ringRef }),
    joinLater: none,
    badRingRef: object({ ring: ringRef }),
    newSucc: object({ newSucc: ref, oldSucc: ref, succList: refs }),
    predNoMore: none,
    updSuccList: object({ succList: refs, ttl: uint(1024) }),
    fix: none,
    fixOk: object({ succList: refs }),
    redirect: object({ to: ref, alt: optionalRef }),
    hint: object({ candidate: ref }),
    leaving: object({ pred: optionalRef, succ: optionalRef, succList: refs }),
    passivePing: none,
    passivePong: none,
    trymerge: object({ cpred: ref, csucc: ref }),
    mlookupAsk: object({ target: ref }),
  };
}
