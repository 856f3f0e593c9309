// Structured logs for the live runtime and the CLI (docs/live-runtime.md §4): pino, JSON lines always to
// stderr, so that `--json` output on stdout stays one clean line. Protocol code never logs; it emits trace
// events.
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(name: string, level: string = process.env.SELFMAN_LOG ?? "info"): Logger {
  return pino({ name, level }, pino.destination(2));
}
