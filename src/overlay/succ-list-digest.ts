// The successor-list digest of pings and pongs (docs/relaxed-ring.md §6.3, N1): FNV-1a over `addr#nonce;`
// per ref, in order, with a memo of the last two computed so a ping builds no strings while lists stay.
// Must not break: the digest is on the wire; a remembered one must equal what succListDigest gives.
import { type NodeRef, incarnationKey as refKey } from "../core/node-ref.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** An FNV-1a digest of a successor list (addresses and incarnations, in order). */
export function succListDigest(list: readonly NodeRef[]): number {
  return digestOfStart(list, list.length);
}

/** succListDigest(list.slice(0, end)), without the slice. */
function digestOfStart(list: readonly NodeRef[], end: number): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < end; i++) {
    const text = `${refKey(list[i] as NodeRef)};`;
    for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), FNV_PRIME);
  }
  return h >>> 0;
}

/** How many of `list`'s first entries come before `peer`'s address, at most `limit`. */
function countBefore(list: readonly NodeRef[], peer: NodeRef, limit: number): number {
  const end = Math.min(list.length, limit);
  for (let i = 0; i < end; i++) if ((list[i] as NodeRef).addr === peer.addr) return i;
  return end;
}

/**
 * The digest of the start of a list that lies before a peer, remembered for the last two (list, peer)
 * pairs asked (a node's pings go to its successor, its pongs mostly to its predecessor). Lists are
 * never changed in place — a node replaces the array — and a ref's address never changes, so the
 * identities of the array and the ref stand for what the digest was made of.
 */
export class SuccListDigests {
  private list0: readonly NodeRef[] | null = null;
  private peer0: NodeRef | null = null;
  private digest0 = 0;
  private list1: readonly NodeRef[] | null = null;
  private peer1: NodeRef | null = null;
  private digest1 = 0;

  /** succListDigest of `list`'s entries before `peer` (by address), at most `limit` of them. */
  before(list: readonly NodeRef[], peer: NodeRef, limit: number): number {
    if (list === this.list0 && peer === this.peer0) return this.digest0;
    if (list === this.list1 && peer === this.peer1) return this.digest1;
    const digest = digestOfStart(list, countBefore(list, peer, limit));
    this.list1 = this.list0;
    this.peer1 = this.peer0;
    this.digest1 = this.digest0;
    this.list0 = list;
    this.peer0 = peer;
    this.digest0 = digest;
    return digest;
  }
}
