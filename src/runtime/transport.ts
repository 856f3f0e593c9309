// The live transport (docs/live-runtime.md §1–§2, docs/architecture.md §6): messages between node processes
// over TLS 1.3 with mutual authentication (or plain TCP behind --insecure), as length-prefixed MessagePack
// frames. One outbound connection per peer address, reused for every message to it; writes coalesced once per
// event-loop turn; a bounded queue per peer (what does not fit is dropped and counted: the protocols tolerate
// loss, a node must not run out of memory); reconnection with exponential back-off. Each connection opens
// with a versioned handshake that binds the peer's ring reference to its certificate's name; every later
// frame is attributed to that reference and must pass the message codec's schema check
// (src/wire/message-codec.ts) before the node sees it. Nothing a peer sends can throw out of here: bad frames
// are dropped and counted.
import net from "node:net";
import tls from "node:tls";
import type { MessageBase } from "../core/message.js";
import { type NodeRef, samePeer } from "../core/node-ref.js";
import { literal, object, type Schema, str, uint, validate } from "../core/schema.js";
import { decode, encode } from "../wire/codec.js";
import type { MessageCodec } from "../wire/message-codec.js";
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder } from "./frames.js";
import { DropReason, TransportStats } from "./transport-stats.js";

/**
 * The wire protocol version this build speaks; a peer with another is refused at the handshake.
 * 2: pings and pongs carry succListDigest.
 */
export const PROTOCOL_VERSION = 2;

/** What proves this node a member of its cluster (PEM text), and the name its certificate carries. */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

interface TransportConfig {
  readonly host: string;
  readonly port: number;
  /** TLS material, or null for plain TCP (only behind an explicit --insecure). */
  readonly tls: TlsMaterial | null;
  readonly maxFrameBytes: number;
  /** Per peer: frames waiting to be written beyond this are dropped (back-pressure). */
  readonly maxQueuedBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** An outbound connection unused for this long is closed. */
  readonly idleCloseMs: number;
}

export const DEFAULT_TRANSPORT: Omit<TransportConfig, "host" | "port" | "tls"> = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxQueuedBytes: 8 << 20,
  handshakeTimeoutMs: 5000,
  backoffMinMs: 100,
  backoffMaxMs: 5000,
  idleCloseMs: 300_000,
};

interface TransportEvents<M> {
  /** A validated message from an authenticated peer. May throw: the transport counts it and goes on. */
  onMessage(from: NodeRef, msg: M): void;
  /** Something worth a log line (a refused connection, a handler error). */
  onWarning?(what: string, detail: Record<string, unknown>): void;
}

interface Hello {
  readonly hello: "selfman";
  readonly version: number;
  readonly name: string;
  readonly ref: NodeRef;
}

interface Queued {
  /** The encoded message; its frame header is written in front of it when it goes out. */
  readonly payload: Buffer;
  /** The incarnation the message is for: dropped if another one answers at the address. */
  readonly nonce: number;
}

/** An outbound connection to one peer address and what waits to go over it. */
class PeerLink {
  readonly addr: string;
  state: "idle" | "connecting" | "open" | "backoff" = "idle";
  socket: net.Socket | null = null;
  /** Who answered the handshake. */
  peer: NodeRef | null = null;
  queue: Queued[] = [];
  queuedBytes = 0;
  failures = 0;
  backoffUntilMs = 0;
  lastUsedMs = 0;
  flushScheduled = false;
  /** The socket asked us to wait for 'drain'. */
  blocked = false;

  constructor(addr: string) {
    this.addr = addr;
  }
}

/** host:port → [host, port]; IPv6 literals come bracketed. */
function splitAddress(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(":");
  const host = addr.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(addr.slice(at + 1)) };
}

export class Transport<M extends MessageBase> {
  readonly stats = new TransportStats();
  private readonly self: NodeRef;
  private readonly name: string;
  private readonly config: TransportConfig;
  private readonly codec: MessageCodec<M>;
  private readonly helloSchema: Schema<Hello>;
  private readonly events: TransportEvents<M>;
  private readonly links = new Map<string, PeerLink>();
  /** Inbound connections, with the peer that said hello on each (null until it did). */
  private readonly inbound = new Map<net.Socket, NodeRef | null>();
  /** Peers across a cut (docs/dashboard.md §6): nothing goes to them, nothing from them is taken. */
  private cut = new Set<string>();
  /** Which certificate name first claimed each address (a member may not speak for another). */
  private readonly nameOfAddr = new Map<string, string>();
  private server: net.Server | null = null;
  private idleSweep: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    self: NodeRef,
    name: string,
    config: TransportConfig,
    codec: MessageCodec<M>,
    refSchema: Schema<NodeRef>,
    events: TransportEvents<M>,
  ) {
    this.self = self;
    this.name = name;
    this.config = config;
    this.codec = codec;
    this.events = events;
    this.helloSchema = object({
      hello: literal("selfman"),
      version: uint(),
      name: str(128),
      ref: refSchema,
    });
  }

  /** Starts listening; resolves once the port is bound. */
  async start(): Promise<void> {
    const server = this.config.tls === null ? net.createServer() : this.tlsServer(this.config.tls);
    server.on(this.config.tls === null ? "connection" : "secureConnection", (socket: net.Socket) =>
      this.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.idleSweep = setInterval(() => this.closeIdleLinks(), Math.max(1000, this.config.idleCloseMs / 2));
    this.idleSweep.unref();
  }

  /**
   * Cuts this node off from the peers at `addrs` (an operator's partition on one machine,
   * docs/dashboard.md §6): their connections close, messages to them are dropped, and connections from
   * them are closed at their hello, unanswered, until the next call; an empty list heals.
   */
  cutOff(addrs: readonly string[]): void {
    this.cut = new Set(addrs);
    for (const [addr, link] of this.links) if (this.cut.has(addr)) link.socket?.destroy();
    for (const [socket, peer] of this.inbound) if (peer !== null && this.cut.has(peer.addr)) socket.destroy();
  }

  /** The peers this node is cut off from. */
  cutPeers(): string[] {
    return [...this.cut];
  }

  /** Sends `msg` to `to`: asynchronous, may be lost, never throws. */
  send(to: NodeRef, msg: M): void {
    if (this.closed) return;
    if (this.cut.has(to.addr)) {
      this.stats.drop(DropReason.cut);
      return;
    }
    if (samePeer(to, this.self)) {
      setImmediate(() => this.deliver(this.self, msg));
      return;
    }
    let link = this.links.get(to.addr);
    if (link === undefined) {
      link = new PeerLink(to.addr);
      this.links.set(to.addr, link);
    }
    const now = Date.now();
    link.lastUsedMs = now;
    if (link.state === "backoff") {
      if (now < link.backoffUntilMs) {
        this.stats.drop(DropReason.unreachable);
        return;
      }
      link.state = "idle";
    }
    const payload = this.codec.encode(msg);
    const bytes = FRAME_HEADER_BYTES + payload.length;
    if (link.queuedBytes + bytes > this.config.maxQueuedBytes) {
      this.stats.drop(DropReason.queueFull);
      return;
    }
    link.queue.push({ payload, nonce: to.nonce });
    link.queuedBytes += bytes;
    if (link.state === "idle") this.connect(link);
    else if (link.state === "open") this.scheduleFlush(link);
  }

  /**
   * The ring reference of whoever listens at `addr` (a join contact known only by its address): opens
   * the connection and waits for the handshake, retrying until `timeoutMs` passes.
   */
  async resolve(addr: string, timeoutMs: number): Promise<NodeRef> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let link = this.links.get(addr);
      if (link === undefined) {
        link = new PeerLink(addr);
        this.links.set(addr, link);
      }
      if (link.state === "open" && link.peer !== null) return link.peer;
      if (link.state === "idle" || (link.state === "backoff" && Date.now() >= link.backoffUntilMs))
        this.connect(link);
      if (Date.now() >= deadline)
        throw new Error(`no selfman node answered at ${addr} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops listening, closes every connection; messages not yet written are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleSweep !== null) clearInterval(this.idleSweep);
    for (const link of this.links.values()) link.socket?.destroy();
    this.links.clear();
    for (const socket of this.inbound.keys()) socket.destroy();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Writes whatever is queued now (used before a graceful exit), waiting at most `timeoutMs`. */
  async flushAll(timeoutMs: number): Promise<void> {
    for (const link of this.links.values()) this.flush(link);
    const pending = [...this.links.values()].filter((l) => l.socket !== null && l.socket.writableLength > 0);
    await Promise.race([
      Promise.all(pending.map((l) => new Promise<void>((resolve) => l.socket?.once("drain", resolve)))),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  get address(): string {
    const bound = this.server?.address();
    if (bound !== null && typeof bound === "object") return `${this.config.host}:${bound.port}`;
    return `${this.config.host}:${this.config.port}`;
  }

  // ---- inbound ----------------------------------------------------------------------------------

  private tlsServer(material: TlsMaterial): tls.Server {
    const server = tls.createServer({
      ca: material.ca,
      cert: material.cert,
      key: material.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      handshakeTimeout: this.config.handshakeTimeoutMs,
    });
    server.on("tlsClientError", (error) => {
      this.stats.drop(DropReason.tls);
      this.events.onWarning?.("tls connection refused", { reason: error.message });
    });
    return server;
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.stats.connectionsIn++;
    this.inbound.set(socket, null);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder(this.config.maxFrameBytes);
    let peer: NodeRef | null = null;
    const handshakeTimer = setTimeout(() => {
      this.stats.drop(DropReason.handshake);
      socket.destroy();
    }, this.config.handshakeTimeoutMs);
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (socket.destroyed) return;
        this.stats.framesIn++;
        this.stats.bytesIn += frame.length + 4;
        const value = decode(frame);
        if (value === undefined) {
          this.stats.drop(DropReason.badMsgpack);
          if (peer === null) socket.destroy();
          continue;
        }
        if (peer === null) {
          peer = this.answerHello(socket, value);
          if (peer === null) {
            // a peer across a cut was closed unanswered (and counted) already
            if (!socket.destroyed) this.stats.drop(DropReason.handshake);
            socket.destroy();
            return;
          }
          this.inbound.set(socket, peer);
          clearTimeout(handshakeTimer);
          continue;
        }
        const checked = this.codec.check(value);
        if (!checked.ok) {
          this.stats.drop(DropReason.badShape);
          continue;
        }
        this.deliver(peer, checked.msg);
      }
      if (decoder.oversized !== null && !socket.destroyed) {
        this.stats.drop(DropReason.oversized);
        socket.destroy();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(handshakeTimer);
      this.inbound.delete(socket);
    });
  }

  /** Checks a hello and answers it; the peer's ref, or null if it is refused (the caller closes). */
  private answerHello(socket: net.Socket, value: unknown): NodeRef | null {
    let hello: Hello;
    try {
      hello = validate(this.helloSchema, value, "hello");
    } catch {
      return null;
    }
    const refuse = (reason: string): null => {
      socket.write(encodeFrame(encode({ refused: reason })));
      this.events.onWarning?.("handshake refused", { reason, addr: hello.ref.addr, name: hello.name });
      return null;
    };
    if (this.cut.has(hello.ref.addr)) {
      // unanswered, so the peer backs off as from any failed handshake instead of reconnecting at once
      this.stats.drop(DropReason.cut);
      socket.destroy();
      return null;
    }
    if (hello.version !== PROTOCOL_VERSION)
      return refuse(`version ${hello.version} is not supported (this node speaks ${PROTOCOL_VERSION})`);
    const certName = this.peerCertificateName(socket);
    if (certName !== null && certName !== hello.name)
      return refuse(`the certificate names ${certName}, the hello ${hello.name}`);
    const claimedBy = this.nameOfAddr.get(hello.ref.addr);
    if (claimedBy !== undefined && claimedBy !== hello.name)
      return refuse(`${hello.ref.addr} belongs to ${claimedBy}`);
    this.nameOfAddr.set(hello.ref.addr, hello.name);
    const answer: Hello = { hello: "selfman", version: PROTOCOL_VERSION, name: this.name, ref: this.self };
    socket.write(encodeFrame(encode(answer)));
    return hello.ref;
  }

  private peerCertificateName(socket: net.Socket): string | null {
    if (!(socket instanceof tls.TLSSocket)) return null;
    const subject = socket.getPeerCertificate().subject as { CN?: string | string[] } | undefined;
    const cn = subject?.CN;
    return typeof cn === "string" ? cn : null;
  }

  private deliver(from: NodeRef, msg: M): void {
    try {
      this.events.onMessage(from, msg);
    } catch (error) {
      this.stats.drop(DropReason.handlerError);
      this.events.onWarning?.("message handler threw", {
        type: msg.type,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }

  // ---- outbound ---------------------------------------------------------------------------------

  private connect(link: PeerLink): void {
    link.state = "connecting";
    this.stats.connectionsOut++;
    const { host, port } = splitAddress(link.addr);
    const material = this.config.tls;
    const socket =
      material === null
        ? net.connect({ host, port })
        : tls.connect({
            host,
            port,
            ca: material.ca,
            cert: material.cert,
            key: material.key,
            minVersion: "TLSv1.3",
            // Members are named by their certificates, not by host names: the chain check (same CA)
            // happens in TLS, and the name is checked against the handshake below.
            checkServerIdentity: () => undefined,
          });
    link.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder(this.config.maxFrameBytes);
    const handshakeTimer = setTimeout(() => socket.destroy(), this.config.handshakeTimeoutMs);
    socket.once(material === null ? "connect" : "secureConnect", () => {
      const hello: Hello = { hello: "selfman", version: PROTOCOL_VERSION, name: this.name, ref: this.self };
      socket.write(encodeFrame(encode(hello)));
    });
    socket.on("data", (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      if (decoder.oversized !== null) {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (link.state !== "connecting") return; // a peer writes nothing after its handshake answer
        const peer = this.checkAnswer(socket, decode(frame));
        if (peer === null) {
          this.stats.drop(DropReason.handshake);
          socket.destroy();
          return;
        }
        clearTimeout(handshakeTimer);
        link.peer = peer;
        link.state = "open";
        link.failures = 0;
        this.flush(link);
      }
    });
    socket.on("drain", () => {
      link.blocked = false;
      this.flush(link);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(handshakeTimer);
      if (link.socket !== socket) return;
      link.socket = null;
      link.peer = null;
      link.blocked = false;
      if (link.state === "open") {
        link.state = "idle";
        if (link.queue.length > 0 && !this.closed) this.connect(link);
        return;
      }
      this.backOff(link);
    });
  }

  private checkAnswer(socket: net.Socket, value: unknown): NodeRef | null {
    let answer: Hello;
    try {
      answer = validate(this.helloSchema, value, "answer");
    } catch {
      return null;
    }
    if (answer.version !== PROTOCOL_VERSION) return null;
    const certName = this.peerCertificateName(socket);
    if (certName !== null && certName !== answer.name) return null;
    return answer.ref;
  }

  /** The connection failed before it opened: drop what waits, and wait before trying again. */
  private backOff(link: PeerLink): void {
    this.stats.drop(DropReason.unreachable, link.queue.length);
    link.queue = [];
    link.queuedBytes = 0;
    const { backoffMinMs, backoffMaxMs } = this.config;
    const delay = Math.min(backoffMaxMs, backoffMinMs * 2 ** link.failures) * (0.5 + Math.random() / 2);
    link.failures++;
    link.backoffUntilMs = Date.now() + delay;
    link.state = "backoff";
  }

  private scheduleFlush(link: PeerLink): void {
    if (link.flushScheduled) return;
    link.flushScheduled = true;
    setImmediate(() => {
      link.flushScheduled = false;
      this.flush(link);
    });
  }

  /** Writes every queued frame for the incarnation that answered, in one write. */
  private flush(link: PeerLink): void {
    const socket = link.socket;
    const peer = link.peer;
    if (link.state !== "open" || socket === null || peer === null || link.blocked || link.queue.length === 0)
      return;
    let count = 0;
    let bytes = 0;
    for (const item of link.queue) {
      if (item.nonce === peer.nonce) {
        count++;
        bytes += FRAME_HEADER_BYTES + item.payload.length;
      }
    }
    this.stats.drop(DropReason.staleIncarnation, link.queue.length - count);
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const item of link.queue) {
      if (item.nonce !== peer.nonce) continue;
      at = out.writeUInt32BE(item.payload.length, at);
      at += item.payload.copy(out, at);
    }
    link.queue = [];
    link.queuedBytes = 0;
    if (count === 0) return;
    this.stats.framesOut += count;
    this.stats.writesOut++;
    this.stats.bytesOut += bytes;
    if (!socket.write(out)) link.blocked = true;
  }

  private closeIdleLinks(): void {
    const cutoff = Date.now() - this.config.idleCloseMs;
    for (const [addr, link] of this.links) {
      if (link.lastUsedMs >= cutoff || link.queue.length > 0) continue;
      link.socket?.end();
      this.links.delete(addr);
    }
  }
}
