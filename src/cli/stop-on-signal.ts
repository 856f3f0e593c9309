// SIGINT and SIGTERM for commands that start node processes (`selfman start`, `cluster up`, the live
// benchmarks; docs/live-runtime.md §5): caught from before the first node starts, so a Ctrl-C during
// start-up stops the nodes already started instead of leaving them, detached, holding their ports.

/** What the first SIGINT or SIGTERM did: `signal` aborted, `requested` resolved, `received` says which. */
export interface StopRequest {
  readonly signal: AbortSignal;
  readonly requested: Promise<NodeJS.Signals>;
  /** The signal received, or null while none was. */
  readonly received: NodeJS.Signals | null;
  /** The exit code of a command ended by the signal: 128 + its number (130 for SIGINT). */
  readonly exitCode: number;
  /** Removes the handlers (the signals' default actions are back). */
  dispose(): void;
}

/** Catches SIGINT and SIGTERM from now on, until dispose(); later signals than the first are ignored. */
export function stopOnSignal(): StopRequest {
  const abort = new AbortController();
  let received: NodeJS.Signals | null = null;
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const requested = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  // Kept until the command is done: a second Ctrl-C while the nodes stop does not cut that short.
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== null) return;
    received = signal;
    abort.abort(new Error(`stopped by ${signal}`));
    resolve(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: abort.signal,
    requested,
    get received() {
      return received;
    },
    get exitCode() {
      return received === "SIGTERM" ? 143 : 130;
    },
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
