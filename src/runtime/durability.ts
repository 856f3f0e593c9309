// How durable a live node's store writes are before the messages that report them leave
// (docs/architecture.md §5, docs/replication.md §6). `sync`, the default: every write is on disk (fsync)
// before any message sent after it — group commit, one sync per batch. `process`: writes reach the OS at
// once but are synced only in the background; they survive a process crash, not a power cut.
import { readFileSync } from "node:fs";

export const DURABILITY_MODES = ["sync", "process"] as const;
export type Durability = (typeof DURABILITY_MODES)[number];
export const DEFAULT_DURABILITY: Durability = "sync";

/** `--durability` as given on a command line. */
export function parseDurability(text: string): Durability {
  const mode = DURABILITY_MODES.find((m) => m === text);
  if (mode === undefined)
    throw new Error(
      `--durability must be one of ${DURABILITY_MODES.join(", ")} (got ${JSON.stringify(text)})`,
    );
  return mode;
}

/**
 * This boot of the machine (Linux's boot_id), or null where there is none: a store written under
 * `process` durability by another boot may have lost its last writes in a power cut.
 */
export function currentBootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}
