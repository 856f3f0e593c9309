// CPU time of the benchmark's node processes, read from /proc (docs/metrics.md §7): user + system seconds,
// summed over the given pids. A benchmark reads it before and after its measured phase and reports CPU
// milliseconds per operation beside throughput; where /proc is missing the figure is null.
import { readFile } from "node:fs/promises";

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat (100 on every Linux we target). */
const CLOCK_TICKS_PER_SEC = 100;

async function cpuTicksOf(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (text === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** User + system CPU seconds of every process in `pids` so far; null if any cannot be read. */
export async function cpuSecondsOf(pids: readonly number[]): Promise<number | null> {
  const ticks = await Promise.all(pids.map(cpuTicksOf));
  if (ticks.some((t) => t === null)) return null;
  return (ticks as number[]).reduce((a, b) => a + b, 0) / CLOCK_TICKS_PER_SEC;
}

/** CPU milliseconds per operation between two readings, 3 decimals; null if either is missing. */
export function cpuMsPerOp(before: number | null, after: number | null, ops: number): number | null {
  if (before === null || after === null || ops === 0) return null;
  return Number((((after - before) * 1000) / ops).toFixed(3));
}
