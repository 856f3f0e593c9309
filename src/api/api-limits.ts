// The API's named limits (docs/api.md §6), each configurable from `selfman node`. A request over one
// gets a clear JSON error (413, 429, 400) before it costs the node anything; a slow or half-sent request
// cannot hold a connection past the header and request timeouts.
import { MAX_KEY_LENGTH } from "../store/message-schema.js";
import { MAX_TX_KEYS } from "../tx/message-schema.js";

export interface ApiLimits {
  /** A request body larger than this gets 413. */
  readonly bodyBytes: number;
  /** Keys longer than this (in characters) are refused. */
  readonly keyLength: number;
  /** A value whose JSON is longer than this is refused. */
  readonly valueBytes: number;
  /** Requests in one request list or transaction step. */
  readonly opsPerList: number;
  /** JSON nested deeper than this is refused. */
  readonly jsonDepth: number;
  /** Requests per second one client (token, or address without tokens) may make; the burst is twice it. */
  readonly requestsPerSecond: number;
  /** The whole header must arrive within this. */
  readonly headersTimeoutMs: number;
  /** The whole request (header and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** The header's size in bytes. */
  readonly headerBytes: number;
  /** Live event streams (SSE) at once. */
  readonly eventStreams: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  bodyBytes: 1 << 20,
  keyLength: MAX_KEY_LENGTH,
  valueBytes: 512 * 1024,
  opsPerList: MAX_TX_KEYS,
  jsonDepth: 64,
  requestsPerSecond: 20_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
  headerBytes: 16 * 1024,
  eventStreams: 256,
};
