// One-way message throughput of the live transport over TLS on loopback, next to a bare TLS socket
// measured in the same run (docs/metrics.md §7): the baseline sends the same frames with the same per-turn
// write coalescing, but without the codec (one frame encoded once) and without validation (frames
// are only counted). Both ends live in this process, for both, so each pays both sides' CPU. After a
// warm-up, each is measured ROUNDS times, alternately, and the best run counts (the machine is noisy).
import { setImmediate as nextTurn } from "node:timers/promises";
import tls from "node:tls";
import { IdSpace } from "../src/core/id-space.js";
import { CheckedRef, type NodeRef, nodeRefSchema } from "../src/core/node-ref.js";
import { ringMessageSchema } from "../src/overlay/message-schema.js";
import type { RingMessage } from "../src/overlay/messages.js";
import { initClusterDir, loadMemberTls } from "../src/runtime/cluster-certificates.js";
import { encodeFrame, FrameDecoder } from "../src/runtime/frames.js";
import { DEFAULT_TRANSPORT, type TlsMaterial, Transport } from "../src/runtime/transport.js";
import { packr } from "../src/wire/codec.js";
import { MessageCodec } from "../src/wire/message-codec.js";

/** At most this many messages in flight: well inside the transport's per-peer queue. */
const WINDOW = 4096;
/** Messages sent before the clock starts: connection set-up and the JIT warming to the hot path. */
const WARM_UP = 50_000;
/** Each side is measured this many times, alternately; the best run of each counts. */
const ROUNDS = 3;

const ids = new IdSpace();

function sampleMessage(a: NodeRef, b: NodeRef): RingMessage {
  return { type: "ping", pred: a, succ: b, ring: { name: "selfman", uid: 1 }, succListDigest: 0x1234_5678 };
}

async function pump(total: number, received: () => number, send: () => void): Promise<void> {
  let sent = 0;
  while (received() < total) {
    while (sent < total && sent - received() < WINDOW) {
      send();
      sent++;
    }
    await nextTurn();
  }
}

/** Messages per second through two Transports (codec and schema included). */
export async function transportMessagesPerSec(dir: string, messages: number, port: number): Promise<number> {
  const material = (name: string) => loadMemberTls(dir, name);
  // As in a live node, refs are CheckedRefs (the codec's compact form); ids as large as real ones.
  const a = new CheckedRef(ids.mask - 1n, `127.0.0.1:${port}`, 1);
  const b = new CheckedRef(ids.mask - 2n, `127.0.0.1:${port + 1}`, 2);
  let received = 0;
  const make = async (self: NodeRef, name: string, tlsMaterial: TlsMaterial) => {
    const [host, p] = self.addr.split(":") as [string, string];
    const t = new Transport<RingMessage>(
      self,
      name,
      { ...DEFAULT_TRANSPORT, host, port: Number(p), tls: tlsMaterial },
      new MessageCodec(ringMessageSchema(ids)),
      nodeRefSchema(ids),
      { onMessage: () => void received++ },
    );
    await t.start();
    return t;
  };
  const sender = await make(a, "bench-a", await material("bench-a"));
  const receiver = await make(b, "bench-b", await material("bench-b"));
  try {
    const msg = sampleMessage(a, b);
    await pump(
      WARM_UP,
      () => received,
      () => sender.send(b, msg),
    );
    received = 0;
    const started = performance.now();
    await pump(
      messages,
      () => received,
      () => sender.send(b, msg),
    );
    return messages / ((performance.now() - started) / 1000);
  } finally {
    await sender.close();
    await receiver.close();
  }
}

/** Messages per second over a bare TLS socket: the same frame bytes, coalesced per turn. */
export async function bareTlsMessagesPerSec(dir: string, messages: number, port: number): Promise<number> {
  const server = await loadMemberTls(dir, "bench-b");
  const client = await loadMemberTls(dir, "bench-a");
  let received = 0;
  const listener = tls.createServer(
    { ...server, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" },
    (socket) => {
      const decoder = new FrameDecoder();
      socket.on("data", (chunk: Buffer) => {
        received += decoder.push(chunk).length;
      });
      socket.on("error", () => {});
    },
  );
  await new Promise<void>((resolve) => listener.listen(port, "127.0.0.1", resolve));
  const socket = tls.connect({ host: "127.0.0.1", port, ...client, checkServerIdentity: () => undefined });
  await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
  const a = new CheckedRef(ids.mask - 1n, "127.0.0.1:1", 1);
  const frame = encodeFrame(packr.pack(sampleMessage(a, a)));
  let pending: Buffer[] = [];
  let scheduled = false;
  const send = () => {
    pending.push(frame);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const out = pending;
      pending = [];
      socket.write(Buffer.concat(out));
    });
  };
  try {
    await pump(WARM_UP, () => received, send);
    received = 0;
    const started = performance.now();
    await pump(messages, () => received, send);
    return messages / ((performance.now() - started) / 1000);
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}

/** Both figures, certificates made in `dir` (bench-a, bench-b). */
export async function benchTransport(
  dir: string,
  messages: number,
  port: number,
): Promise<{ transportMsgsPerSec: number; bareTlsMsgsPerSec: number }> {
  await initClusterDir(dir, "bench", ["bench-a", "bench-b"]);
  let bare = 0;
  let transport = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bare = Math.max(bare, await bareTlsMessagesPerSec(dir, messages, port + 10 * round + 2));
    transport = Math.max(transport, await transportMessagesPerSec(dir, messages, port + 10 * round));
  }
  return { transportMsgsPerSec: Math.round(transport), bareTlsMsgsPerSec: Math.round(bare) };
}
