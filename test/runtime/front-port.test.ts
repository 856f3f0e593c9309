// The front port (docs/live-runtime.md §7.1) over real TCP on loopback: it forwards both ways, spreads
// connections over its backends, skips one that is gone, half-closes as the client does, closes a
// client whose backend died, and closes a client no backend accepts — with nothing thrown.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { FrontPort } from "../../src/runtime/front-port.js";

/** A backend that answers each chunk with its tag and the chunk; it remembers its sockets. */
interface TaggedBackend {
  readonly server: net.Server;
  readonly addr: string;
  readonly sockets: Set<net.Socket>;
}

async function listen(server: net.Server | http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const bound = server.address() as net.AddressInfo;
  return `127.0.0.1:${bound.port}`;
}

async function taggedBackend(tag: string): Promise<TaggedBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => socket.write(`${tag}:${chunk.toString()}`));
    // after the client's FIN it still answers, then ends: a half-closed connection works
    socket.on("end", () => socket.end(`${tag}:bye`));
  });
  return { server, addr: await listen(server), sockets };
}

/** An address nobody listens on (bound by the OS a moment ago, then released). */
async function deadAddress(): Promise<string> {
  const server = net.createServer();
  const addr = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return addr;
}

/** Connects to the front, sends `text`, and resolves with the first answer. */
function exchange(port: number, text: string): Promise<{ answer: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(text));
    socket.once("data", (chunk: Buffer) => resolve({ answer: chunk.toString(), socket }));
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("closed before answering")));
  });
}

/** Resolves once `socket` closed, or rejects after `timeoutMs`. */
function closedWithin(socket: net.Socket, timeoutMs: number): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const closeServer = (server: net.Server) => new Promise((resolve) => server.close(resolve));

describe("front port", () => {
  let a: TaggedBackend;
  let b: TaggedBackend;
  let backends: string[] = [];
  let front: FrontPort;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  before(async () => {
    process.on("uncaughtException", onUncaught);
    a = await taggedBackend("A");
    b = await taggedBackend("B");
    backends = [a.addr, b.addr];
    front = await FrontPort.start({ host: "127.0.0.1", port: 0, backends: () => backends, skipMs: 60_000 });
  });
  after(async () => {
    await front.close();
    for (const backend of [a, b]) for (const socket of backend.sockets) socket.destroy();
    await Promise.all([closeServer(a.server), closeServer(b.server)]);
    process.off("uncaughtException", onUncaught);
    assert.deepEqual(uncaught, [], "nothing was thrown out of the front port");
  });

  it("forwards both ways and spreads connections over the backends", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { answer, socket } = await exchange(front.port, `hello ${i}`);
      answers.push(answer);
      socket.destroy();
    }
    assert.ok(
      answers.every((answer, i) => answer.endsWith(`:hello ${i}`)),
      answers.join(", "),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer[0])), new Set(["A", "B"]));
  });

  it("half-closes as the client does: the answer to a FIN still arrives", async () => {
    const { socket } = await exchange(front.port, "x");
    let rest = "";
    socket.on("data", (chunk: Buffer) => {
      rest += chunk.toString();
    });
    socket.end();
    await closedWithin(socket, 5000);
    assert.match(rest, /^[AB]:bye$/);
  });

  it("serves HTTP through the front", async () => {
    const api = http.createServer((_req, res) => res.end("through"));
    const addr = await listen(api);
    backends = [addr];
    try {
      const answer = await fetch(`http://127.0.0.1:${front.port}/v1/anything`).then((r) => r.text());
      assert.equal(answer, "through");
    } finally {
      backends = [a.addr, b.addr];
      api.closeAllConnections();
      await closeServer(api);
    }
  });

  it("a closed backend is skipped: new connections go to the other", async () => {
    backends = [await deadAddress(), b.addr];
    for (let i = 0; i < 4; i++) {
      const { answer, socket } = await exchange(front.port, "who");
      assert.equal(answer, "B:who");
      socket.destroy();
    }
  });

  it("a connection whose backend dies is closed", async () => {
    backends = [a.addr];
    const { socket } = await exchange(front.port, "hold");
    socket.on("error", () => {});
    assert.ok(a.sockets.size >= 1, "the backend holds the connection");
    for (const held of a.sockets) held.destroy();
    await closedWithin(socket, 5000);
  });

  it("a client no backend accepts is closed", async () => {
    backends = [await deadAddress(), await deadAddress()];
    const socket = net.connect({ host: "127.0.0.1", port: front.port });
    socket.on("error", () => {});
    await closedWithin(socket, 5000);
    backends = [];
    const again = net.connect({ host: "127.0.0.1", port: front.port });
    again.on("error", () => {});
    await closedWithin(again, 5000);
  });
});
