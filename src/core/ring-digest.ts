// A short digest of a ring's shape (docs/dashboard.md §7): every member's id and its successor's, in id
// order, hashed with 32-bit FNV-1a. The simulator prints it for a recorded run's last frame and the
// dashboard computes it from the replayed frame, so "the same final ring" is a comparison of eight hex
// digits. Pure: ids in, text out.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The digest of (id, successor id) pairs, ids as decimal strings; null successor: none yet. */
export function ringDigest(pairs: Iterable<readonly [id: string, succ: string | null]>): string {
  const sorted = [...pairs].sort((a, b) => {
    const x = BigInt(a[0]);
    const y = BigInt(b[0]);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  let h = FNV_OFFSET;
  for (const [id, succ] of sorted) {
    const text = `${id}>${succ ?? "-"}\n`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, FNV_PRIME) >>> 0;
    }
  }
  return h.toString(16).padStart(8, "0");
}
