// The recorded-run file format shared by its writer (src/sim/ring-recorder.ts) and its reader, the
// dashboard's replay (src/web/ui/ring-record.ts) — docs/dashboard.md §7. JSON lines: a header, node
// entries, frames, and an end. Changing a field means a new RECORD_VERSION.
export const RECORD_FORMAT = "selfman-ring-record";
export const RECORD_VERSION = 1;

/** A node in a frame: [index, successor index or -1, predecessor index or -1, flags]. */
export type FrameNode = readonly [number, number, number, number];
export const FLAG_MEMBER = 1;
export const FLAG_SUSPECTS = 2;

/** The closing line: what the last frame showed. */
export interface RecordEnd {
  readonly frames: number;
  readonly nodes: number;
  readonly perfect: boolean;
  readonly digest: string;
}
