// What keeps web pages away from an API (docs/api.md §6): a page in a browser may send requests to
// 127.0.0.1 on its own, and a tokenless loopback cluster would obey. So a request that changes
// something is refused when the browser says it comes from another site (Origin, Sec-Fetch-Site), and
// an API without tokens answers only requests whose Host names loopback (no DNS rebinding). Clients that
// are not browsers send neither header and are not affected.
import { ApiError } from "./api-error.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i;

export interface RequestFacts {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly fetchSite: string | undefined;
}

/** The refusal `request` earns, or null. `tokens`: whether the API checks bearer tokens. */
export function crossSiteRefusal(request: RequestFacts, tokens: boolean): ApiError | null {
  if (!tokens && request.host !== undefined && !LOOPBACK_HOST.test(request.host))
    return new ApiError(
      "forbidden",
      `an API without tokens answers loopback hosts only, not ${request.host}`,
    );
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  if (request.fetchSite === "cross-site" || request.fetchSite === "same-site")
    return new ApiError("forbidden", "a request from another site's page is refused");
  if (
    request.origin !== undefined &&
    request.origin !== "null" &&
    originHost(request.origin) !== request.host
  )
    return new ApiError("forbidden", `a request from ${request.origin}'s page is refused`);
  if (request.origin === "null")
    return new ApiError("forbidden", "a request from an opaque origin is refused");
  return null;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
