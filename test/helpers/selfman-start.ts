// `selfman start` — what `npm start` runs — as the live tests start it: a child process on the ports a
// test names, its output kept, and a wait for the line that says the cluster runs. Whoever starts one
// stops it (SIGINT: a clean stop, exit 0; SIGKILL in an after() that must not hang).
import { type ChildProcess, spawn } from "node:child_process";
import { waitFor } from "./live-cluster.js";

export interface StartPorts {
  /** Node i listens on base+i, its API on base+100+i. */
  readonly basePort: number;
  readonly pagePort: number;
  readonly rpcPort: number;
  readonly apiPort: number;
}

export interface StartedSelfman {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Waits until it says its nodes run (at most `timeoutMs`). */
  running(timeoutMs?: number): Promise<void>;
}

export function spawnSelfmanStart(
  dir: string,
  ports: StartPorts,
  extra: readonly string[] = [],
): StartedSelfman {
  const child = spawn(
    process.execPath,
    [
      "bin/selfman",
      "start",
      ...extra,
      "--dir",
      dir,
      "--base-port",
      String(ports.basePort),
      "--page-port",
      String(ports.pagePort),
      "--rpc-port",
      String(ports.rpcPort),
      "--port",
      String(ports.apiPort),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString("utf8");
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    running: async (timeoutMs = 60_000) => {
      // an early exit ends the wait at once, with what it printed
      const gone = exited.then((code) => {
        throw new Error(`selfman start exited ${code} before it ran: ${out.slice(-500)}`);
      });
      const up = waitFor("selfman start running", timeoutMs, async () =>
        out.includes("nodes running") ? true : undefined,
      );
      gone.catch(() => {}); // it also rejects when the test stops the process later: not an error then
      await Promise.race([up, gone]);
    },
  };
}
