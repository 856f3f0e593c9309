// The options of connect() and their defaults (docs/client.md §1): the per-request deadline, how long a
// call keeps failing over before it gives up, and the randomised back-off. Every bound is named here;
// change a default only together with docs/client.md.

export interface RetryOptions {
  /** How long one call keeps trying other nodes before it fails with `unavailable` (default 10 000). */
  readonly failoverMs?: number;
  /** The first back-off between rounds over all nodes, and between transaction attempts (default 25). */
  readonly baseMs?: number;
  /** The largest back-off (default 1 000). */
  readonly maxMs?: number;
}

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** The deadline of one request to one node, from sending to the end of its answer (default 5 000). */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

/** The options with every default filled in. */
export interface Settings {
  readonly token: string | null;
  readonly timeoutMs: number;
  readonly failoverMs: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_FAILOVER_MS = 10_000;
export const DEFAULT_BASE_MS = 25;
export const DEFAULT_MAX_MS = 1_000;

export function settingsOf(options: ConnectOptions): Settings {
  return {
    token: options.token ?? null,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    failoverMs: options.retry?.failoverMs ?? DEFAULT_FAILOVER_MS,
    baseMs: options.retry?.baseMs ?? DEFAULT_BASE_MS,
    maxMs: options.retry?.maxMs ?? DEFAULT_MAX_MS,
  };
}
