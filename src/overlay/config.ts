// Overlay constants (docs/metrics.md §2 defaults; docs/relaxed-ring.md §1.3), every bound named and
// configurable (docs/architecture.md §10).
// Scenarios echo the values they used in their JSON `params`.

export interface FailureDetectorConfig {
  /** A ping round every this often. */
  readonly pingPeriodMs: number;
  /** Initial pong timeout T0 (docs/failure-detector.md §2.1). */
  readonly timeoutMs: number;
  /** Added to the timeout after each false suspicion (Δ). */
  readonly timeoutStepMs: number;
  /** The timeout never grows past this (Tmax). */
  readonly timeoutMaxMs: number;
}

export interface OverlayConfig {
  /** The name a node gives the ring it starts (its uid is drawn at random). */
  readonly ringName: string;
  /** Finger arity k (docs/routing.md §3.1). */
  readonly k: number;
  /** Successor-list length L. */
  readonly succListSize: number;
  readonly fd: FailureDetectorConfig;
  /** A joiner retries when no joinOk (or joinLater) came back within this. */
  readonly joinRetryMs: number;
  /** How long a suspected pred keeps its range before the takeover (docs/relaxed-ring.md §5.3, R9). */
  readonly predTakeoverMs: number;
  /** Branch roots send hints this often (docs/relaxed-ring.md §6.2). */
  readonly hintPeriodMs: number;
  /** A full finger refresh this often (docs/routing.md §3.4, F4); between, fingers heal from traffic. */
  readonly fingerRefreshMs: number;
  /**
   * Each finger is probed this often; its neighbours in the answer correct the table (docs/routing.md §3.4).
   */
  readonly fingerProbeMs: number;
  /** Neighbour check piggybacked on FD pongs: how often a node compares notes with its successor. */
  readonly ringCheckMs: number;
  /** A routed hop not acknowledged within this is re-sent through another peer. */
  readonly hopTimeoutMs: number;
  /** A lookup with no answer within this counts as failed (docs/metrics.md §3: 10 s). */
  readonly lookupTimeoutMs: number;
  /**
   * Ring merge period γ (docs/ring-merge.md §1): at most one mlookup started from the detection queue per
   * period.
   */
  readonly mergePeriodMs: number;
  /**
   * Passive-list members the FD no longer watches are pinged this often (docs/ring-merge.md §2, T_passive).
   */
  readonly passivePingMs: number;
  /** Bound of the passive list (docs/ring-merge.md §1: about 2L); the oldest entry goes first. */
  readonly passiveListSize: number;
  /** Bound of the detection queue; the oldest detection goes first. */
  readonly detectionQueueSize: number;
  /** Ring unification (docs/ring-merge.md §3 simple, §4 gossip). */
  readonly mergeAlgorithm: MergeAlgorithm;
  /**
   * Gossip fanout F (docs/ring-merge.md §4, M12): random peers of mine each trymerge asks the sender to zip
   * towards.
   */
  readonly mergeFanout: number;
  /** Gossip: pending mlookups (mqueue, docs/ring-merge.md §4, M13) started per γ; the rest wait. */
  readonly mergeQueueRate: number;
  /** Bound of the gossip mqueue; the oldest entry goes first. */
  readonly mergeQueueSize: number;
  /** Loopy-ring check period T_loop (docs/ring-merge.md §5); 0 turns the check off (the default). */
  readonly loopCheckMs: number;
}

/** Which ring unification a node runs (docs/ring-merge.md §3, §4). */
export type MergeAlgorithm = "simple" | "gossip";

export const DEFAULT_OVERLAY: OverlayConfig = {
  ringName: "selfman",
  k: 16,
  succListSize: 8,
  fd: { pingPeriodMs: 1000, timeoutMs: 500, timeoutStepMs: 500, timeoutMaxMs: 2000 },
  joinRetryMs: 3000,
  predTakeoverMs: 6000,
  hintPeriodMs: 10_000,
  fingerRefreshMs: 600_000,
  fingerProbeMs: 240_000,
  ringCheckMs: 5000,
  hopTimeoutMs: 1000,
  lookupTimeoutMs: 10_000,
  mergePeriodMs: 1000,
  passivePingMs: 10_000,
  passiveListSize: 16,
  detectionQueueSize: 16,
  mergeAlgorithm: "simple",
  mergeFanout: 1,
  mergeQueueRate: 1,
  mergeQueueSize: 16,
  loopCheckMs: 0,
};

/** The config as flat JSON-safe params (for a scenario's `params` echo). */
export function overlayParams(config: OverlayConfig): Record<string, number | string> {
  return {
    k: config.k,
    succListSize: config.succListSize,
    fdPingPeriodMs: config.fd.pingPeriodMs,
    fdTimeoutMs: config.fd.timeoutMs,
    fdTimeoutStepMs: config.fd.timeoutStepMs,
    fdTimeoutMaxMs: config.fd.timeoutMaxMs,
    joinRetryMs: config.joinRetryMs,
    predTakeoverMs: config.predTakeoverMs,
    hintPeriodMs: config.hintPeriodMs,
    fingerRefreshMs: config.fingerRefreshMs,
    fingerProbeMs: config.fingerProbeMs,
    ringCheckMs: config.ringCheckMs,
    hopTimeoutMs: config.hopTimeoutMs,
    lookupTimeoutMs: config.lookupTimeoutMs,
    mergePeriodMs: config.mergePeriodMs,
    passivePingMs: config.passivePingMs,
    passiveListSize: config.passiveListSize,
    detectionQueueSize: config.detectionQueueSize,
    mergeAlgorithm: config.mergeAlgorithm,
    mergeFanout: config.mergeFanout,
    mergeQueueRate: config.mergeQueueRate,
    mergeQueueSize: config.mergeQueueSize,
    loopCheckMs: config.loopCheckMs,
  };
}
