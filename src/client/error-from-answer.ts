// The SelfmanError for a node's non-2xx answer (docs/client.md §6): the code is the body's `error`
// member (or one derived from the HTTP status when the body has none), with the server's message, the
// conflicting keys, and for a failed request list the failing index and every result.
import type { Json } from "../wire/lossless-json.js";
import type { HttpAnswer } from "./http-transport.js";
import { isJsonObject } from "./response-shape.js";
import { RequestFailedError, SelfmanError, type SelfmanErrorCode } from "./selfman-error.js";

const CODE_OF_STATUS: Readonly<Record<number, SelfmanErrorCode>> = {
  400: "invalid-argument",
  401: "unauthenticated",
  403: "forbidden",
  404: "not-found",
  409: "conflict",
  413: "too-large",
  429: "rate-limited",
  503: "unavailable",
  504: "timeout",
};

function stringsOf(json: Json | undefined): string[] {
  return Array.isArray(json) ? json.filter((k): k is string => typeof k === "string") : [];
}

export function errorFromAnswer(answer: HttpAnswer): SelfmanError {
  const body = answer.body;
  const object = isJsonObject(body) ? body : {};
  const code = typeof object.error === "string" ? object.error : (CODE_OF_STATUS[answer.status] ?? "unknown");
  const message =
    typeof object.message === "string" ? object.message : `HTTP ${answer.status} from ${answer.url}`;
  const init = {
    code,
    message,
    status: answer.status,
    keys: stringsOf(object.keys),
    retryAfterMs: answer.retryAfterMs,
    body,
    url: answer.url,
  };
  const index = object.index;
  if (code === "request-failed" && typeof index === "number") {
    return new RequestFailedError({
      ...init,
      index,
      results: Array.isArray(object.results) ? object.results : [],
    });
  }
  return new SelfmanError(init);
}
