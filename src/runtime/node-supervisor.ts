// Restarts a node that stopped on a broken invariant (docs/live-runtime.md §5): `selfman node
// --supervise` (what the local cluster runs) runs the node as a child process and, when it exits with
// FAIL_STOP_EXIT_CODE, starts it again from the same data directory after a back-off that doubles with
// each quick fail-stop in a row, up to a bound, giving up after too many. Any other exit (0 after a
// leave or a stop in place, an error, a kill -9) ends the supervisor too, with the same outcome: a
// crash stays a crash. SIGTERM, SIGINT and SIGUSR2 are passed to the child; the supervisor exits after it.
// The child has an IPC channel to the supervisor and stops in place when it closes (onSupervisorGone):
// a supervisor that dies without passing anything on (kill -9) leaves no node holding its ports.
import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import type { Logger } from "pino";
import { FAIL_STOP_EXIT_CODE } from "./fail-stop.js";

interface RestartPolicy {
  /** The wait before the first restart of a run of fail-stops; each further one doubles it. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** A node that ran this long before it failed starts the back-off again from backoffMinMs. */
  readonly stableMs: number;
  /** Fail-stops in a row (each within stableMs of its start) after which the supervisor gives up. */
  readonly maxRestarts: number;
}

export const DEFAULT_RESTART: RestartPolicy = {
  backoffMinMs: 250,
  backoffMaxMs: 30_000,
  stableMs: 60_000,
  maxRestarts: 10,
};

/** The wait before restart `n` (0-based) of a run of quick fail-stops, or null: give up. */
export function restartDelayMs(policy: RestartPolicy, n: number): number | null {
  if (n >= policy.maxRestarts) return null;
  return Math.min(policy.backoffMaxMs, policy.backoffMinMs * 2 ** n);
}

interface SupervisedNode {
  /** The executable (node) and its arguments for the first start... */
  readonly command: string;
  readonly args: readonly string[];
  /** ...and for every restart (a node that started a ring rejoins it through another member). */
  readonly restartArgs: readonly string[];
}

const FORWARDED = ["SIGTERM", "SIGINT", "SIGUSR2"] as const;

/** The exit code that says how a child ended: its own, or 128 + the signal's number. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (os.constants.signals[signal] ?? 0));
}

/**
 * Runs the node and restarts it after each fail-stop (per `policy`); resolves with the code the
 * supervisor should exit with, once the node ended otherwise or the supervisor gave up.
 */
export function superviseNode(node: SupervisedNode, policy: RestartPolicy, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let child: ChildProcess | null = null;
    let stopping = false;
    let failStops = 0;
    let restartTimer: NodeJS.Timeout | null = null;
    const handlers = FORWARDED.map((signal) => {
      const handler = () => {
        stopping = true;
        if (child !== null) child.kill(signal);
        else finish(0);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    const finish = (code: number) => {
      if (restartTimer !== null) clearTimeout(restartTimer);
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(code);
    };
    const start = (args: readonly string[]) => {
      const startedAt = Date.now();
      // The IPC channel is not for messages: it closes when the supervisor ends, however it ends.
      const running = spawn(node.command, args, { stdio: ["inherit", "inherit", "inherit", "ipc"] });
      child = running;
      logger.info({ nodePid: running.pid }, "node process started");
      running.once("error", (error) => {
        logger.error({ err: error }, "cannot start the node process");
        child = null;
        finish(1);
      });
      running.once("exit", (code, signal) => {
        child = null;
        if (code !== FAIL_STOP_EXIT_CODE || stopping) {
          finish(exitCodeOf(code, signal));
          return;
        }
        if (Date.now() - startedAt >= policy.stableMs) failStops = 0;
        const delay = restartDelayMs(policy, failStops);
        if (delay === null) {
          logger.fatal({ failStops }, "the node fail-stopped too often in a row: giving up");
          finish(FAIL_STOP_EXIT_CODE);
          return;
        }
        failStops++;
        logger.warn(
          { exitCode: code, restartInMs: delay, failStops },
          "the node stopped on a broken invariant (fail-stop): restarting it from its data directory",
        );
        restartTimer = setTimeout(() => {
          restartTimer = null;
          start(node.restartArgs);
        }, delay);
      });
    };
    start(node.args);
  });
}

/**
 * In a node process run by a supervisor (spawned with an IPC channel): calls `onGone` once, when the
 * supervisor is gone — the channel closes as its process ends, kill -9 included — or at once if it is
 * gone already. Returns false, and never calls `onGone`, in a node that runs without a supervisor.
 */
export function onSupervisorGone(onGone: () => void): boolean {
  if (process.channel === undefined) return false;
  if (!process.connected) {
    onGone();
    return true;
  }
  process.once("disconnect", onGone);
  // The channel alone does not keep the node running: its servers do, until it stops.
  process.channel.unref();
  return true;
}
