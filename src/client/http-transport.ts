// Requests to the nodes, with fail-over (docs/client.md §4), over Node's global fetch (undici): it pools
// keep-alive connections per origin, needs no dependency, and tells a refused connection from one that died
// after sending. A request that may have arrived is resent only if idempotent, else UncertainError: keep it.
import { type Json, parseJson, stringifyJson } from "../wire/lossless-json.js";
import { backoffMs, delay } from "./backoff.js";
import type { Settings } from "./client-options.js";
import { type ConnectionFailure, connectionFailure } from "./connection-failure.js";
import { errorFromAnswer } from "./error-from-answer.js";
import type { NodePool } from "./node-pool.js";
import { SelfmanError, UncertainError } from "./selfman-error.js";

export type Method = "GET" | "PUT" | "POST" | "DELETE";

export interface HttpRequest {
  readonly method: Method;
  /** The path from the node's base URL: `/v1/kv/a%2Fb`. */
  readonly path: string;
  readonly body?: Json;
  /** Whether sending it twice has no more effect than sending it once (a get, a put, a read). */
  readonly idempotent: boolean;
}

/** A node's answer: its status and its body, parsed losslessly. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: Json;
  readonly url: string;
  readonly retryAfterMs: number | null;
}

/** What one try at one node came to: an answer, or a connection failure. */
type Attempt =
  | { readonly answer: HttpAnswer }
  | { readonly failure: ConnectionFailure; readonly cause: unknown };

export class HttpTransport {
  readonly pool: NodePool;
  readonly settings: Settings;
  readonly random: () => number;
  readonly #closer = new AbortController();

  constructor(pool: NodePool, settings: Settings, random: () => number = Math.random) {
    this.pool = pool;
    this.settings = settings;
    this.random = random;
  }

  /** Aborted when the client closes: every request and event stream in flight ends. */
  get closed(): AbortSignal {
    return this.#closer.signal;
  }

  close(): void {
    this.#closer.abort();
  }

  /** The headers every request carries. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.settings.token;
    return {
      accept: "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...extra,
    };
  }

  /** Sends `request`, failing over as docs/client.md §4 says, and returns the body of a 2xx answer. */
  async request(request: HttpRequest): Promise<Json> {
    const deadline = Date.now() + this.settings.failoverMs;
    let index = this.pool.current;
    let lastError: SelfmanError | null = null;
    for (let round = 1; ; round++) {
      for (let tried = 0; tried < this.pool.size; tried++) {
        this.#checkOpen();
        const attempt = await this.#once(this.pool.url(index), request);
        const outcome = this.#judge(attempt, request, index % this.pool.size);
        if (outcome.done) return outcome.body;
        lastError = outcome.error;
        if (outcome.retrySameAfterMs !== null) {
          if (Date.now() + outcome.retrySameAfterMs > deadline) throw lastError;
          await delay(outcome.retrySameAfterMs, this.closed);
          tried--;
          continue;
        }
        this.pool.failed(index % this.pool.size);
        index = (index + 1) % this.pool.size;
      }
      const pause = backoffMs(round, this.settings.baseMs, this.settings.maxMs, this.random);
      if (Date.now() + pause > deadline) throw this.#gaveUp(lastError);
      await delay(pause, this.closed);
    }
  }

  #checkOpen(): void {
    if (this.closed.aborted)
      throw new SelfmanError({ code: "closed", message: "the client is closed", status: null });
  }

  #gaveUp(last: SelfmanError | null): SelfmanError {
    const why = last === null ? "" : `; last: ${last.message}`;
    return new SelfmanError({
      code: "unavailable",
      message: `no node answered within ${this.settings.failoverMs} ms (${this.pool.urls.join(", ")})${why}`,
      status: last?.status ?? null,
      cause: last ?? undefined,
    });
  }

  /** One try at one node: the whole answer, read within the request deadline, or how it failed. */
  async #once(base: string, request: HttpRequest): Promise<Attempt> {
    const signal = AbortSignal.any([this.closed, AbortSignal.timeout(this.settings.timeoutMs)]);
    const url = `${base}${request.path}`;
    const body = request.body === undefined ? undefined : stringifyJson(request.body);
    try {
      const response = await fetch(url, {
        method: request.method,
        headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
        ...(body === undefined ? {} : { body }),
        signal,
      });
      const text = await response.text();
      return { answer: answerOf(response, text, url) };
    } catch (error) {
      this.#checkOpen();
      const failure = connectionFailure(error);
      if (failure === null) throw error;
      return { failure, cause: error };
    }
  }

  /** Whether an attempt ends the call (with a body or an error), or the next node should be tried. */
  #judge(
    attempt: Attempt,
    request: HttpRequest,
    index: number,
  ):
    | { readonly done: true; readonly body: Json }
    | { readonly done: false; readonly error: SelfmanError; readonly retrySameAfterMs: number | null } {
    if ("failure" in attempt) {
      const error = failureError(attempt.failure, attempt.cause, request);
      if (error instanceof UncertainError) {
        this.pool.failed(index); // its connection died: the next call starts at the next node
        throw error;
      }
      return { done: false, error, retrySameAfterMs: null };
    }
    const { answer } = attempt;
    if (answer.status >= 200 && answer.status < 300) return { done: true, body: answer.body };
    const error = errorFromAnswer(answer);
    if (answer.status === 504 && request.method !== "GET")
      throw new UncertainError({ ...error, message: error.message });
    if (answer.status === 503) return { done: false, error, retrySameAfterMs: null };
    if (answer.status === 429) {
      return { done: false, error, retrySameAfterMs: answer.retryAfterMs ?? this.settings.baseMs };
    }
    throw error;
  }
}

function answerOf(response: Response, text: string, url: string): HttpAnswer {
  let body: Json;
  try {
    body = text === "" ? null : parseJson(text);
  } catch {
    body = text;
  }
  return {
    status: response.status,
    body,
    url,
    retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
  };
}

/** Retry-After in seconds (the only form the server sends), as milliseconds. */
function retryAfterMs(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim()) * 1000;
}

/** The error a connection failure stands for: uncertain if it may have arrived and is not idempotent. */
function failureError(failure: ConnectionFailure, cause: unknown, request: HttpRequest): SelfmanError {
  const code = failure.timedOut ? "timeout" : "unavailable";
  const what = `${request.method} ${request.path}`;
  if (failure.kind === "may-have-arrived" && !request.idempotent) {
    return new UncertainError({
      code,
      message: `${what}: the connection failed (${failure.reason}) after sending; it may or may not have taken effect`,
      status: null,
      cause,
    });
  }
  return new SelfmanError({ code, message: `${what}: ${failure.reason}`, status: null, cause });
}
