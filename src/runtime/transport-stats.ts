// What the live transport counts (exposed by /status and /metrics): frames and bytes each way, and
// every frame or connection it refused, by reason. A count only grows.

export const DropReason = {
  /** Not valid MessagePack. */
  badMsgpack: "bad-msgpack",
  /** Valid MessagePack of the wrong shape (the message schema refused it). */
  badShape: "bad-shape",
  /** A length prefix above the frame limit: the connection is closed. */
  oversized: "oversized",
  /** A connection that never completed the versioned handshake, or failed it. */
  handshake: "handshake",
  /** A TLS connection refused before the handshake: no certificate, or one of another cluster. */
  tls: "tls",
  /** A message for a peer whose queue is full (back-pressure). */
  queueFull: "queue-full",
  /** A message for a peer that cannot be reached now (refused, reset, backing off). */
  unreachable: "unreachable",
  /** A message for an incarnation that is gone (the peer restarted with a new nonce). */
  staleIncarnation: "stale-incarnation",
  /** A message whose handler threw: a bug, counted so it is seen, and the node goes on. */
  handlerError: "handler-error",
  /** A message to or from a peer across a cut an operator made (docs/dashboard.md §6). */
  cut: "cut",
} as const;

export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export class TransportStats {
  framesIn = 0;
  framesOut = 0;
  /** Socket writes (each carries every frame a turn queued for one peer). */
  writesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectionsIn = 0;
  connectionsOut = 0;
  readonly dropped: Record<DropReason, number> = {
    "bad-msgpack": 0,
    "bad-shape": 0,
    oversized: 0,
    handshake: 0,
    tls: 0,
    "queue-full": 0,
    unreachable: 0,
    "stale-incarnation": 0,
    "handler-error": 0,
    cut: 0,
  };

  /** The counts as plain data (what /status shows). */
  snapshot(): {
    framesIn: number;
    framesOut: number;
    writesOut: number;
    bytesIn: number;
    bytesOut: number;
    connectionsIn: number;
    connectionsOut: number;
    dropped: Record<DropReason, number>;
  } {
    return {
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      writesOut: this.writesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      connectionsIn: this.connectionsIn,
      connectionsOut: this.connectionsOut,
      dropped: { ...this.dropped },
    };
  }

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] += count;
  }

  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((a, b) => a + b, 0);
  }
}
