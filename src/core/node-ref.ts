// A peer reference {id, addr, nonce} and its wire schema (docs/relaxed-ring.md §1,
// docs/architecture.md §7). The nonce is new for every process incarnation, so a restarted peer (same
// id, same addr) is told apart from the old one: compare refs with samePeer, never by address alone.
import type { IdSpace, RingId } from "./id-space.js";
import { bigintBelow, object, type Schema, str, uint } from "./schema.js";

export interface NodeRef {
  readonly id: RingId;
  /** Where to send: "host:port" live, "sim:<index>" in the simulator. */
  readonly addr: string;
  /** Random per incarnation; a restart gets a new one. */
  readonly nonce: number;
}

/** The same incarnation of the same peer (nonces first: comparing them reads no string or bigint). */
export function sameNode(a: NodeRef | null | undefined, b: NodeRef | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.nonce === b.nonce && a.addr === b.addr && a.id === b.id;
}

/**
 * A NodeRef whose fields a decoder has already checked (the live codec builds these): message schemas
 * pass it through unchecked. Build one only from checked values.
 */
export class CheckedRef implements NodeRef {
  readonly id: RingId;
  readonly addr: string;
  readonly nonce: number;

  constructor(id: RingId, addr: string, nonce: number) {
    this.id = id;
    this.addr = addr;
    this.nonce = nonce;
  }
}

/**
 * Two refs to the same incarnation, neither of them null. Nonces first: they differ between peers,
 * so on the hot paths of ring code the addresses are rarely read.
 */
export function samePeer(a: NodeRef | null | undefined, b: NodeRef | null | undefined): boolean {
  return a != null && b != null && a.nonce === b.nonce && a.addr === b.addr;
}

/** A map key for one incarnation of a peer: its address and nonce. */
export function incarnationKey(ref: { readonly addr: string; readonly nonce: number }): string {
  return `${ref.addr}#${ref.nonce}`;
}

/** A NodeRef as JSON-safe data (ids are decimal strings in JSON, docs/metrics.md §1). */
export function refToJson(ref: NodeRef): { id: string; addr: string; nonce: number } {
  return { id: ref.id.toString(), addr: ref.addr, nonce: ref.nonce };
}

/** A peer address: `host:port`, a name or an IPv4/IPv6 literal (bracketed). */
export const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;
/** The longest peer address. */
export const MAX_ADDRESS_LENGTH = 300;

/** A ref as a plain object, or a CheckedRef the codec has built (and checked) already. */
export function nodeRefSchema(ids: IdSpace): Schema<NodeRef> {
  const plain = object({ id: bigintBelow(ids.size), addr: str(MAX_ADDRESS_LENGTH, ADDRESS), nonce: uint() });
  return (value) => (value instanceof CheckedRef ? value : plain(value));
}
