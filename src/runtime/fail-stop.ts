// Fail-stop on a broken invariant (docs/architecture.md §8, docs/live-runtime.md §4): a live node whose
// handler throws InvariantViolation logs the rule as fatal, sends nothing of that turn (live-env.ts)
// and exits with FAIL_STOP_EXIT_CODE; the local cluster's supervisor (node-supervisor.ts), or any
// process manager told the code, restarts it from its data directory, which it recovers from like any
// crash (docs/architecture.md §4). No other exit of `selfman node` uses this code.
import type { Logger } from "pino";
import type { LiveNode } from "./live-node.js";

/** The exit code of a node that stopped on a broken invariant: EX_SOFTWARE of sysexits.h. */
export const FAIL_STOP_EXIT_CODE = 70;

/**
 * The test-only switch: with SELFMAN_TEST_PLANT_VIOLATION=1 in its environment, a node process breaks
 * a planted rule ("planted") in the first message turn after it receives SIGUSR1. Read here, by the
 * runtime, and never by protocol code.
 */
export const PLANT_VIOLATION_ENV = "SELFMAN_TEST_PLANT_VIOLATION";

/**
 * Arms `node`'s planted violation on SIGUSR1, if the test switch is set in `env`, and says so as a
 * `warn` line: the switch takes SIGUSR1 from Node's inspector, and a node that runs with it by mistake
 * can be made to fail-stop by anyone allowed to signal it.
 */
export function plantViolationOnSignal(
  node: LiveNode,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (env[PLANT_VIOLATION_ENV] === undefined) return;
  if (env[PLANT_VIOLATION_ENV] !== "1") {
    logger.warn(
      { [PLANT_VIOLATION_ENV]: env[PLANT_VIOLATION_ENV] },
      `${PLANT_VIOLATION_ENV} is set but not to 1: the test-only switch stays off`,
    );
    return;
  }
  logger.warn(
    { [PLANT_VIOLATION_ENV]: "1" },
    "test-only switch on: SIGUSR1 plants an invariant violation (fail-stop) instead of starting the inspector",
  );
  process.on("SIGUSR1", () => node.plantViolation());
}
