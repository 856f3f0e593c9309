// Who may make a request (docs/api.md §6): the bearer token's scopes (every scope without tokens), the
// per-client rate limit, and the scope the route needs — checked in that order, the same way for the
// hono routes, the JSON-RPC paths and the single-key fast path.
import type { ApiContext } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { grants, SCOPES, type Scope } from "./api-tokens.js";
import { RateLimiter } from "./rate-limiter.js";

export class Admission {
  private readonly api: ApiContext;
  private readonly limiter: RateLimiter;

  constructor(api: ApiContext) {
    this.api = api;
    this.limiter = new RateLimiter(api.limits.requestsPerSecond);
  }

  /** The scopes the request's bearer token carries (all of them without tokens), or 401. */
  async authenticate(authorization: string | undefined): Promise<readonly Scope[]> {
    const tokens = this.api.tokens;
    if (tokens === null) return SCOPES;
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (token === undefined)
      throw new ApiError("unauthenticated", "a bearer token is needed: Authorization: Bearer <token>");
    const scopes = await tokens.verify(token, this.api.nodes.member());
    if (scopes === null) throw new ApiError("unauthenticated", "the token is not valid for this cluster");
    return scopes;
  }

  /**
   * Authenticates, counts the request against its client's rate (the client: its token with tokens,
   * else its address) and checks `needed`; resolves with the scopes, or rejects with 401, 429 or 403.
   */
  async admit(
    authorization: string | undefined,
    address: string,
    needed: Scope | null,
  ): Promise<readonly Scope[]> {
    const scopes = await this.authenticate(authorization);
    // by token when there are tokens (just verified), else by address: without tokens the header is
    // anything a client likes — a new bucket per request, and up to 16 KiB of key each
    const client = this.api.tokens === null ? address : (authorization ?? address);
    const waitSec = this.limiter.take(client, Date.now());
    if (waitSec > 0)
      throw new ApiError(
        "rate-limited",
        `more than ${this.api.limits.requestsPerSecond} requests per second`,
        {
          retryAfterSec: waitSec,
        },
      );
    if (needed !== null) requireScope(scopes, needed);
    return scopes;
  }
}

export function requireScope(scopes: readonly Scope[], needed: Scope): void {
  if (!grants(scopes, needed)) throw new ApiError("forbidden", `this needs a token with the ${needed} scope`);
}
