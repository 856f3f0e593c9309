// Positions on the drawn ring (docs/dashboard.md §2): a 128-bit id at its angle, clockwise from the top,
// and the share of the ring a range covers. Pure functions of ids given as decimal strings.
const TOP_BITS = 96n;
const TURN = 2 * Math.PI;

/** The id's fraction of the ring, in [0, 1) (the top 32 bits are plenty for a picture). */
export function ringFraction(id: string): number {
  return Number(BigInt(id) >> TOP_BITS) / 2 ** 32;
}

/** The angle of an id, 0 at the top, growing clockwise (SVG's y points down). */
export function angleOf(id: string): number {
  return ringFraction(id) * TURN - Math.PI / 2;
}

export function pointAt(id: string, radius: number): [number, number] {
  const a = angleOf(id);
  return [Math.cos(a) * radius, Math.sin(a) * radius];
}

/** The clockwise share of the ring from `from` (exclusive) to `to` (inclusive), in (0, 1]. */
export function rangeShare(from: string, to: string): number {
  const share = ringFraction(to) - ringFraction(from);
  return share <= 0 ? share + 1 : share;
}

/** An SVG path for the band between radii r1 < r2 from angle a0 clockwise to a1. */
export function bandPath(a0: number, a1: number, r1: number, r2: number): string {
  const span = a1 <= a0 ? a1 + TURN - a0 : a1 - a0;
  const large = span > Math.PI ? 1 : 0;
  const at = (a: number, r: number) => `${(Math.cos(a) * r).toFixed(2)} ${(Math.sin(a) * r).toFixed(2)}`;
  const end = a0 + span;
  return `M ${at(a0, r2)} A ${r2} ${r2} 0 ${large} 1 ${at(end, r2)} L ${at(end, r1)} A ${r1} ${r1} 0 ${large} 0 ${at(a0, r1)} Z`;
}

/** A colour per node, spread around the hue circle by its place on the ring. */
export function hueOf(id: string): number {
  return Math.round(ringFraction(id) * 360);
}
