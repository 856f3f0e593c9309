// The live transport in one process, over real TLS sockets on loopback: messages arrive in order and
// attributed to their sender's handshake; a message for a gone incarnation is dropped, not delivered
// to its successor at the same address; a peer that restarts is reached again after back-off; plain
// TCP works behind --insecure; a cut (the dashboard's partition) drops everything across it until healed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { IdSpace } from "../../src/core/id-space.js";
import { type NodeRef, nodeRefSchema } from "../../src/core/node-ref.js";
import { ringMessageSchema } from "../../src/overlay/message-schema.js";
import type { RingMessage } from "../../src/overlay/messages.js";
import { initClusterDir, loadMemberTls } from "../../src/runtime/cluster-certificates.js";
import { DEFAULT_TRANSPORT, type TlsMaterial, Transport } from "../../src/runtime/transport.js";
import { MessageCodec } from "../../src/wire/message-codec.js";
import { tempDir, waitFor } from "../helpers/live-cluster.js";

const ids = new IdSpace();
const PORT = 23_000;

interface Endpoint {
  readonly ref: NodeRef;
  readonly transport: Transport<RingMessage>;
  readonly received: { from: NodeRef; msg: RingMessage }[];
}

async function endpoint(
  name: string,
  port: number,
  nonce: number,
  tls: TlsMaterial | null,
): Promise<Endpoint> {
  const ref: NodeRef = { id: BigInt(port) * 1_000_003n, addr: `127.0.0.1:${port}`, nonce };
  const received: Endpoint["received"] = [];
  const transport = new Transport<RingMessage>(
    ref,
    name,
    { ...DEFAULT_TRANSPORT, host: "127.0.0.1", port, tls, backoffMinMs: 20, backoffMaxMs: 200 },
    new MessageCodec(ringMessageSchema(ids)),
    nodeRefSchema(ids),
    { onMessage: (from, msg) => received.push({ from, msg }) },
  );
  await transport.start();
  return { ref, transport, received };
}

describe("live transport", () => {
  let dir = "";
  let a: Endpoint;
  let b: Endpoint;

  before(async () => {
    dir = await tempDir("transport");
    await initClusterDir(dir, "test", ["a", "b"]);
    a = await endpoint("a", PORT + 1, 11, await loadMemberTls(dir, "a"));
    b = await endpoint("b", PORT + 2, 22, await loadMemberTls(dir, "b"));
  });
  after(async () => {
    await a.transport.close();
    await b.transport.close();
  });

  it("delivers in order, attributed to the sender's handshake", async () => {
    for (let hops = 0; hops < 500; hops++)
      a.transport.send(b.ref, { type: "lookupReply", lookupId: hops, key: 5n, responsible: a.ref, hops });
    await waitFor("500 messages at b", 10_000, async () => (b.received.length >= 500 ? true : undefined));
    assert.deepEqual(
      b.received.map((r) => (r.msg.type === "lookupReply" ? r.msg.lookupId : -1)),
      Array.from({ length: 500 }, (_, i) => i),
    );
    assert.ok(b.received.every((r) => r.from.addr === a.ref.addr && r.from.nonce === a.ref.nonce));
    assert.equal(a.transport.stats.framesOut, 500);
    assert.ok(a.transport.stats.connectionsOut <= 1, "one connection, reused");
  });

  it("drops what is addressed to a gone incarnation, and reaches the new one after back-off", async () => {
    await b.transport.close();
    const material = await loadMemberTls(dir, "b");
    b = await endpoint("b", PORT + 2, 23, material);
    const stale = { ...b.ref, nonce: 22 };
    await waitFor("a probe reaches b's new incarnation", 10_000, async () => {
      a.transport.send(stale, { type: "probe" });
      a.transport.send(b.ref, { type: "probe" });
      return b.received.length > 0 ? true : undefined;
    });
    assert.ok(b.received.every((r) => r.msg.type === "probe"));
    assert.ok(a.transport.stats.dropped["stale-incarnation"] > 0, "messages for nonce 22 were dropped");
  });

  it("a cut drops everything across it both ways and closes the connection; healed, messages flow again", async () => {
    const x = await endpoint("x", PORT + 5, 55, null);
    const y = await endpoint("y", PORT + 6, 66, null);
    try {
      x.transport.send(y.ref, { type: "fix" });
      await waitFor("fix at y", 5000, async () => (y.received.length === 1 ? true : undefined));
      x.transport.cutOff([y.ref.addr]);
      assert.deepEqual(x.transport.cutPeers(), [y.ref.addr]);
      for (let i = 0; i < 10; i++) x.transport.send(y.ref, { type: "fix" });
      assert.equal(x.transport.stats.dropped.cut, 10, "x drops what it would send across the cut");
      // y still tries: x closes its connection at the hello, unanswered, and y's messages never arrive
      y.transport.send(x.ref, { type: "probe" });
      await waitFor("x refuses y", 5000, async () => (x.transport.stats.dropped.cut > 10 ? true : undefined));
      assert.equal(x.received.length, 0);
      assert.equal(y.received.length, 1, "nothing more reached y");
      x.transport.cutOff([]);
      await waitFor("a probe from y at x after the heal", 5000, async () => {
        y.transport.send(x.ref, { type: "probe" });
        return x.received.length > 0 ? true : undefined;
      });
      x.transport.send(y.ref, { type: "fix" });
      await waitFor("a fix from x at y after the heal", 5000, async () =>
        y.received.length === 2 ? true : undefined,
      );
    } finally {
      await x.transport.close();
      await y.transport.close();
    }
  });

  it("speaks plain TCP behind --insecure", async () => {
    const x = await endpoint("x", PORT + 3, 33, null);
    const y = await endpoint("y", PORT + 4, 44, null);
    try {
      x.transport.send(y.ref, { type: "fix" });
      await waitFor("fix at y", 5000, async () => (y.received.length === 1 ? true : undefined));
      assert.equal(y.received[0]?.from.addr, x.ref.addr);
    } finally {
      await x.transport.close();
      await y.transport.close();
    }
  });
});
