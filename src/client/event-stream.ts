// The client's events() (docs/client.md §5): GET /v1/events read by hand as Server-Sent Events over fetch.
// When the stream fails or ends it reconnects — to the next node if that one failed — sending the last
// event id as Last-Event-ID, after the server's `retry` delay. It ends only on close() or break.
import { parseJson } from "../wire/lossless-json.js";
import { delay } from "./backoff.js";
import { connectionFailure } from "./connection-failure.js";
import { errorFromAnswer } from "./error-from-answer.js";
import type { HttpTransport } from "./http-transport.js";
import { SelfmanError } from "./selfman-error.js";
import type { SelfmanEvent } from "./selfman-event.js";
import { type SseMessage, SseParser } from "./sse-parser.js";

export interface EventsOptions {
  /** Resume after this event id (sent as Last-Event-ID on the first connection). */
  readonly lastEventId?: string;
}

/** The delay before reconnecting when the server named none (a `retry` field). */
export const DEFAULT_RECONNECT_MS = 100;

interface OpenStream {
  readonly index: number;
  readonly response: Response;
  readonly stop: AbortController;
}

export async function* eventStream(
  transport: HttpTransport,
  options: EventsOptions,
): AsyncGenerator<SelfmanEvent> {
  let lastId: string | null = options.lastEventId ?? null;
  let reconnectMs = DEFAULT_RECONNECT_MS;
  while (!transport.closed.aborted) {
    let stream: OpenStream;
    try {
      stream = await openStream(transport, lastId);
    } catch (error) {
      if (transport.closed.aborted) return;
      throw error;
    }
    const parser = new SseParser();
    try {
      for await (const message of messages(stream.response, parser)) {
        lastId = message.id ?? lastId;
        yield eventOf(message);
      }
    } catch (error) {
      if (transport.closed.aborted) return;
      if (connectionFailure(error) === null) throw error;
      transport.pool.failed(stream.index);
    } finally {
      stream.stop.abort();
    }
    reconnectMs = parser.retryMs ?? reconnectMs;
    await delay(reconnectMs, transport.closed);
  }
}

function eventOf(message: SseMessage): SelfmanEvent {
  let data: SelfmanEvent["data"];
  try {
    data = parseJson(message.data);
  } catch {
    data = message.data;
  }
  return { kind: message.event, id: message.id, data };
}

async function* messages(response: Response, parser: SseParser): AsyncGenerator<SseMessage> {
  const body = response.body;
  if (body === null) return;
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
}

/** Opens the stream on the current node, failing over like any idempotent call; throws when none answers. */
async function openStream(transport: HttpTransport, lastId: string | null): Promise<OpenStream> {
  const deadline = Date.now() + transport.settings.failoverMs;
  let index = transport.pool.current;
  let last: SelfmanError | null = null;
  for (;;) {
    const opened = await tryOpen(transport, index, lastId);
    if ("response" in opened) return opened;
    last = opened.error;
    transport.pool.failed(index);
    index = (index + 1) % transport.pool.size;
    if (Date.now() > deadline) throw last;
    if (index === transport.pool.current) await delay(transport.settings.baseMs, transport.closed);
  }
}

async function tryOpen(
  transport: HttpTransport,
  index: number,
  lastId: string | null,
): Promise<OpenStream | { readonly error: SelfmanError }> {
  const stop = new AbortController();
  const url = `${transport.pool.url(index)}/v1/events`;
  const headerTimer = setTimeout(
    () => stop.abort(new DOMException("no answer", "TimeoutError")),
    transport.settings.timeoutMs,
  );
  try {
    const response = await fetch(url, {
      headers: transport.headers({
        accept: "text/event-stream",
        ...(lastId === null || lastId === "" ? {} : { "last-event-id": lastId }),
      }),
      signal: AbortSignal.any([transport.closed, stop.signal]),
    });
    if (response.ok) return { index, response, stop };
    const text = await response.text();
    const error = errorFromAnswer({ status: response.status, body: parseOr(text), url, retryAfterMs: null });
    if (response.status === 503) return { error };
    throw error;
  } catch (error) {
    if (transport.closed.aborted)
      throw new SelfmanError({ code: "closed", message: "the client is closed", status: null });
    const failure = connectionFailure(error);
    if (failure === null) throw error;
    return {
      error: new SelfmanError({
        code: "unavailable",
        message: `${url}: ${failure.reason}`,
        status: null,
        cause: error,
      }),
    };
  } finally {
    clearTimeout(headerTimer);
  }
}

function parseOr(text: string): SelfmanEvent["data"] {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}
