// A front port (docs/live-runtime.md §7.1): one TCP port that forwards each connection to one of the
// nodes' API ports — round-robin over those that answer, a backend that refused skipped for a while —
// and pipes both directions until either side is done. Must not break: nothing a client or a backend
// does throws out of here, and a client whose backend died is closed rather than left hanging.
import net from "node:net";

export interface FrontPortOptions {
  readonly host: string;
  /** 0: the OS picks (read `port` after start). */
  readonly port: number;
  /** The backends' host:port, read at each connection: the list may follow the cluster. */
  readonly backends: () => readonly string[];
  /** A backend that does not accept within this is given up on, and the next one tried. */
  readonly connectTimeoutMs?: number;
  /** A backend that failed is not tried again for this long (unless no other is left). */
  readonly skipMs?: number;
  /** A connection with no traffic either way for this long is closed (a half-open one included). */
  readonly idleMs?: number;
}

type Timings = Required<Pick<FrontPortOptions, "connectTimeoutMs" | "skipMs" | "idleMs">>;

const DEFAULTS: Timings = { connectTimeoutMs: 2000, skipMs: 2000, idleMs: 300_000 };

/** host:port → its parts; IPv6 literals come bracketed. */
function splitAddress(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(":");
  return { host: addr.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(addr.slice(at + 1)) };
}

/** Connects to `addr`; resolves with the open socket, or null if it failed or took too long. */
function connectTo(addr: string, timeoutMs: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const { host, port } = splitAddress(addr);
    const socket = net.connect({ host, port, allowHalfOpen: true });
    const fail = () => {
      socket.destroy();
      resolve(null);
    };
    socket.setTimeout(timeoutMs, fail);
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.setTimeout(0);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

/**
 * Pipes `client` and `backend` both ways. A FIN from one side ends the other's writing (half-close:
 * the answer may still come); a backend that closes lets the client have what it sent, then ends it;
 * an error on either side, the client gone, or no traffic for `idleMs` closes both at once.
 */
function splice(client: net.Socket, backend: net.Socket, idleMs: number): void {
  const closeBoth = () => {
    client.destroy();
    backend.destroy();
  };
  backend.on("error", closeBoth);
  client.on("error", closeBoth);
  backend.on("close", (hadError: boolean) => {
    if (hadError) client.destroy();
    else if (!client.writableEnded) client.end();
  });
  client.on("close", () => backend.destroy());
  client.setTimeout(idleMs, closeBoth);
  backend.setTimeout(idleMs, closeBoth);
  client.pipe(backend);
  backend.pipe(client);
}

export class FrontPort {
  private readonly options: FrontPortOptions & Timings;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Backend → when it may be tried again after it failed. */
  private readonly skipUntil = new Map<string, number>();
  private next = 0;
  private boundPort = 0;

  private constructor(options: FrontPortOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.accept(client),
    );
    this.server.on("error", () => {}); // after listening, an accept error must not throw
  }

  /** Listens on host:port; rejects if the port cannot be bound. */
  static async start(options: FrontPortOptions): Promise<FrontPort> {
    const front = new FrontPort(options);
    await front.listen();
    return front;
  }

  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `${this.options.host}:${this.boundPort}`;
  }

  /** Client connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        const bound = this.server.address();
        this.boundPort = bound !== null && typeof bound === "object" ? bound.port : this.options.port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    this.forward(client).catch(() => client.destroy());
  }

  /** Finds a backend that accepts and splices the client to it; closes the client if none does. */
  private async forward(client: net.Socket): Promise<void> {
    for (const addr of this.candidates()) {
      if (client.destroyed) return;
      const backend = await connectTo(addr, this.options.connectTimeoutMs);
      if (backend === null) {
        this.skipUntil.set(addr, Date.now() + this.options.skipMs);
        continue;
      }
      this.skipUntil.delete(addr);
      if (client.destroyed) {
        backend.destroy();
        return;
      }
      this.sockets.add(backend);
      backend.on("close", () => this.sockets.delete(backend));
      splice(client, backend, this.options.idleMs);
      client.resume();
      return;
    }
    client.destroy();
  }

  /**
   * The backends in the order to try them: round-robin from the next one, those not skipped first,
   * then the skipped ones (a backend that failed a moment ago is better than none).
   */
  private candidates(): string[] {
    const all = [...new Set(this.options.backends())];
    if (all.length === 0) return [];
    const start = this.next++ % all.length;
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    const now = Date.now();
    const skipped = (addr: string) => (this.skipUntil.get(addr) ?? 0) > now;
    return [...rotated.filter((a) => !skipped(a)), ...rotated.filter(skipped)];
  }
}
