// A Server-Sent Events parser (docs/client.md §5), by the WHATWG rules: lines end with CRLF, LF or CR (a
// CR at the end of one chunk and an LF at the start of the next are one line end); `event`, `data`, `id`,
// `retry` fields; `:` comments; a blank line dispatches. The last id persists across messages.

export interface SseMessage {
  /** The `event` field, or "message" when there was none. */
  readonly event: string;
  readonly data: string;
  /** The last event id seen so far on this stream (the spec's "last event ID buffer"), or null. */
  readonly id: string | null;
}

export class SseParser {
  #buffer = "";
  #skipLeadingLf = false;
  #event = "";
  #data: string[] = [];
  #lastId: string | null = null;
  /** The last `retry` field, in milliseconds, or null. */
  retryMs: number | null = null;

  /** Feeds decoded text; returns the messages it completed, in order. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.#skipLeadingLf && text.startsWith("\n")) text = text.slice(1);
    this.#skipLeadingLf = false;
    this.#buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const end = this.#buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.#buffer.slice(0, end);
      const isCrLf = this.#buffer[end] === "\r" && this.#buffer[end + 1] === "\n";
      if (this.#buffer[end] === "\r" && end === this.#buffer.length - 1) this.#skipLeadingLf = true;
      this.#buffer = this.#buffer.slice(end + (isCrLf ? 2 : 1));
      const message = this.#line(line);
      if (message !== null) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | null {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.#field(field, value);
    return null;
  }

  #field(field: string, value: string): void {
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\u0000")) this.#lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  #dispatch(): SseMessage | null {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = "";
    if (data.length === 0) return null;
    return { event: event === "" ? "message" : event, data: data.join("\n"), id: this.#lastId };
  }
}
