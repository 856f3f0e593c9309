// A lean HTTP/1.1 load generator for the benchmarks (docs/metrics.md §7): `connections` kept-alive
// sockets to one server, each sending its next request as soon as the previous answer is complete.
// It writes pre-built request text and reads only the status line and Content-Length, so that on a
// small machine the load generator takes as little CPU from the nodes it measures as it can.
import net from "node:net";

export interface HttpRequestSpec {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

export interface LoadResult {
  readonly failed: number;
  readonly latenciesMs: number[];
}

function requestText(host: string, spec: HttpRequestSpec): Buffer {
  const body = spec.body === undefined ? "" : spec.body;
  const head =
    `${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(head + body);
}

/** The answer's status and total length once its header is in `buffer`, else null. */
function parseHead(buffer: Buffer): { status: number; total: number } | null {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const head = buffer.subarray(0, end).toString("latin1");
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length === null) throw new Error("an answer without content-length");
  return { status, total: end + 4 + Number(length[1]) };
}

/** One connection running requests `next()` gives until it gives null. */
function connection(address: string, next: () => HttpRequestSpec | null, result: LoadResult): Promise<void> {
  const at = address.lastIndexOf(":");
  const host = address.slice(0, at);
  const socket = net.connect({ host, port: Number(address.slice(at + 1)), noDelay: true });
  return new Promise((resolve) => {
    let buffer: Buffer = Buffer.alloc(0);
    let started = 0;
    const send = () => {
      const spec = next();
      if (spec === null) {
        socket.end();
        resolve();
        return;
      }
      started = performance.now();
      socket.write(requestText(address, spec));
    };
    socket.on("connect", send);
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const head = parseHead(buffer);
      if (head === null || buffer.length < head.total) return;
      buffer = buffer.subarray(head.total);
      if (head.status === 200) result.latenciesMs.push(performance.now() - started);
      else (result as { failed: number }).failed++;
      send();
    });
    socket.on("error", () => {
      (result as { failed: number }).failed++;
      resolve();
    });
    socket.on("close", () => resolve());
  });
}

/** `count` requests (built by `request(i)`) to `address`, `connections` at a time. */
export async function httpLoad(
  address: string,
  count: number,
  connections: number,
  request: (i: number) => HttpRequestSpec,
): Promise<LoadResult> {
  const result: LoadResult = { failed: 0, latenciesMs: [] };
  let issued = 0;
  const next = () => (issued < count ? request(issued++) : null);
  await Promise.all(Array.from({ length: connections }, () => connection(address, next, result)));
  return result;
}
