// The transaction messages' schema (src/tx/message-schema.ts), which the live transport applies to
// every decoded frame: every message a simulated transaction run sends — TM crashes included, so the
// takeover ballots are there — survives MessagePack and the node's schema unchanged; and a
// transaction message with a field removed or retyped is refused, naming the field.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { SchemaError, validate } from "../../src/core/schema.js";
import { nodeMessageSchema } from "../../src/node/message-schema.js";
import type { NodeMessage, NodeTimer } from "../../src/node/selfman-node.js";
import { runRing } from "../../src/sim/ring-harness.js";
import { selfmanRing } from "../../src/sim/ring-protocol.js";
import { txWorkload } from "../../src/sim/tx-workload.js";
import { packr } from "../../src/wire/codec.js";

const schema = nodeMessageSchema(new IdSpace());

/** A message as the live runtime would send it: refs are plain {id, addr, nonce} (no sim index). */
function asWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "simIndex") out[k] = asWire(v);
    return out;
  }
  return value;
}

describe("transaction message schema", () => {
  const sent: Record<string, unknown>[] = [];
  before(() => {
    const byType = new Map<string, number>();
    runRing<NodeMessage, NodeTimer>(
      selfmanRing(),
      { seed: 4, network: { loss: 0.01 } },
      {
        nodes: 30,
        buildJoinGapMs: 100,
        settleMs: 20_000,
        measureMs: 30_000,
        quietMs: 20_000,
        churn: { joins: 0.2, crashes: 0.1, leaves: 0.1 },
        lookupsPerSec: 0,
        connectivity: 1,
      },
      () => {},
      (sim) =>
        sim.observe({
          onSend(_from, _to, msg) {
            const n = byType.get(msg.type) ?? 0;
            byType.set(msg.type, n + 1);
            if (n < 40) sent.push(asWire(msg) as Record<string, unknown>);
          },
        }),
      txWorkload({
        clients: 10,
        keys: 10,
        replication: 4,
        clientTimeoutMs: 40_000,
        thinkMs: 20,
        tmCrash: 0.02,
        tmCrashWindowMs: 80,
        partitionEverySec: 0,
        partitionMs: 0,
        constantLatencyMs: 10,
      }),
    );
  });

  it("accepts every message of a transaction run, unchanged by MessagePack", () => {
    const types = new Set(sent.map((m) => m.type));
    for (const t of [
      "txPrepare",
      "txVote",
      "txInit",
      "txAccepted",
      "txDecided",
      "txFinal",
      "txApplied",
      "txBallot",
      "txPromise",
      "txAccept",
    ])
      assert.ok(types.has(t), `the run sent ${t}`);
    for (const msg of sent) assert.deepEqual(validate(schema, packr.unpack(packr.pack(msg)), "msg"), msg);
  });

  it("refuses a transaction message with a field removed or retyped, naming the field", () => {
    const txMessages = sent.filter((m) => String(m.type).startsWith("tx"));
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.boolean(), (pick, fieldPick, remove) => {
        const msg = { ...(txMessages[pick % txMessages.length] as Record<string, unknown>) };
        const fields = Object.keys(msg).filter((k) => k !== "type");
        const field = fields[fieldPick % fields.length] as string;
        if (remove) delete msg[field];
        else msg[field] = typeof msg[field] === "string" ? 17 : "seventeen";
        assert.throws(
          () => validate(schema, msg, "msg"),
          (error: unknown) => error instanceof SchemaError && error.path.startsWith(`msg.${field}`),
        );
      }),
    );
  });
});
