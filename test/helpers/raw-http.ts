// A raw HTTP/1.1 client connection over node:net for the API fuzz test (docs/api.md §4): writes any
// bytes, reads answers by their framing (1xx skipped, Content-Length, chunked, until close, an event
// stream's header). Must not break: it never trusts the server; not HTTP, or nothing in time, is reported.
import net from "node:net";

export interface RawAnswer {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** An event stream: only its header was read. */
  readonly stream: boolean;
  readonly ms: number;
}

/** Why no answer came: the server closed first, sent something that is not HTTP, or nothing in time. */
export interface NoAnswer {
  readonly problem: "closed" | "not-http" | "deadline";
  /** The first bytes received, for the report. */
  readonly received: string;
  readonly ms: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");

type Parsed = { answer: Omit<RawAnswer, "ms">; used: number } | "more" | "not-http";

/** The body of a chunked answer starting at `from`, or "more" if it has not all arrived. */
function dechunk(data: Buffer, from: number): { body: Buffer; used: number } | "more" | "not-http" {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) return "more";
    const size = Number.parseInt(data.subarray(at, eol).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isSafeInteger(size) || size < 0) return "not-http";
    if (size === 0) {
      const end = data.indexOf(HEAD_END, eol);
      if (end >= 0) return { body: Buffer.concat(parts), used: end + 4 };
      return data.subarray(eol, eol + 2).equals(Buffer.from("\r\n")) && data.length >= eol + 4
        ? "not-http"
        : "more";
    }
    if (data.length < eol + 2 + size + 2) return "more";
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** One answer at the front of `data` (closed: no more bytes will come). */
function parseAnswer(data: Buffer, head: boolean, closed: boolean): Parsed {
  let from = 0;
  for (;;) {
    const end = data.indexOf(HEAD_END, from);
    if (end < 0) return data.length - from > 64 * 1024 ? "not-http" : "more";
    const lines = data.subarray(from, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? "");
    if (status === null) return "not-http";
    const code = Number(status[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) return "not-http";
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers.get(name);
      headers.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    const bodyAt = end + 4;
    if (code >= 100 && code < 200 && code !== 101) {
      from = bodyAt;
      continue;
    }
    if ((headers.get("content-type") ?? "").startsWith("text/event-stream"))
      return { answer: { status: code, headers, body: Buffer.alloc(0), stream: true }, used: bodyAt };
    if (head || code === 204 || code === 304 || code === 101)
      return { answer: { status: code, headers, body: Buffer.alloc(0), stream: false }, used: bodyAt };
    if ((headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) {
      const chunked = dechunk(data, bodyAt);
      if (typeof chunked === "string") return chunked;
      return { answer: { status: code, headers, body: chunked.body, stream: false }, used: chunked.used };
    }
    const length = headers.get("content-length");
    if (length !== undefined) {
      const n = Number(length);
      if (!Number.isSafeInteger(n) || n < 0) return "not-http";
      if (data.length < bodyAt + n) return "more";
      return {
        answer: { status: code, headers, body: data.subarray(bodyAt, bodyAt + n), stream: false },
        used: bodyAt + n,
      };
    }
    if (!closed) return "more";
    return {
      answer: { status: code, headers, body: data.subarray(bodyAt), stream: false },
      used: data.length,
    };
  }
}

export class RawConnection {
  private readonly socket: net.Socket;
  private received: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: () => void = () => {};
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    // a reset while writing is how a server may refuse the rest of a body: the answer decides
    socket.on("error", end);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Whether the server has closed (or reset) the connection. */
  get closed(): boolean {
    return this.ended;
  }

  /** Writes the pieces, `paceMs` apart; does not wait for them to drain (a server may stop reading). */
  send(writes: readonly Buffer[], paceMs: number): void {
    writes.forEach((piece, i) => {
      if (i === 0 || paceMs === 0) {
        if (!this.socket.destroyed) this.socket.write(piece);
        return;
      }
      // pacing, not synchronisation: the pieces of a request dribbled on purpose
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.socket.destroyed) this.socket.write(piece);
      }, i * paceMs);
      this.timers.add(timer);
    });
  }

  /** Then writes `bytes` one at a time, `everyMs` apart, round and round, until the connection closes. */
  drip(bytes: Buffer, everyMs: number): void {
    let at = 0;
    // pacing, not synchronisation: a slow client is what is being tested
    const timer = setInterval(() => {
      if (this.socket.destroyed || this.ended) {
        clearInterval(timer);
        this.timers.delete(timer);
        return;
      }
      this.socket.write(bytes.subarray(at, at + 1));
      at = (at + 1) % bytes.length;
    }, everyMs);
    this.timers.add(timer);
  }

  /** The next answer, or why none came before `deadlineMs`. */
  async answer(head: boolean, deadlineMs: number): Promise<RawAnswer | NoAnswer> {
    const started = performance.now();
    const deadline = setTimeout(() => this.wake(), deadlineMs);
    try {
      for (;;) {
        const parsed = parseAnswer(this.received, head, this.ended);
        const ms = performance.now() - started;
        if (parsed === "not-http") return { problem: "not-http", received: this.preview(), ms };
        if (parsed !== "more") {
          this.received = this.received.subarray(parsed.used);
          return { ...parsed.answer, ms };
        }
        if (this.ended) return { problem: "closed", received: this.preview(), ms };
        if (ms >= deadlineMs) return { problem: "deadline", received: this.preview(), ms };
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      clearTimeout(deadline);
      this.wake = () => {};
    }
  }

  /** Waits until the server closes the connection, up to `deadlineMs`; true if it did. */
  async closedWithin(deadlineMs: number): Promise<boolean> {
    const deadline = setTimeout(() => this.wake(), deadlineMs);
    const started = performance.now();
    try {
      while (!this.ended && performance.now() - started < deadlineMs)
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      return this.ended;
    } finally {
      clearTimeout(deadline);
      this.wake = () => {};
    }
  }

  /** Everything received and not yet parsed, as latin1 text. */
  rest(): string {
    return this.received.toString("latin1");
  }

  destroy(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.socket.destroy();
  }

  private preview(): string {
    return this.received.subarray(0, 300).toString("latin1");
  }
}
