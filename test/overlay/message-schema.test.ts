// The relaxed ring's message schema (src/overlay/message-schema.ts), which the live transport applies
// to every decoded frame: every message the ring really sends (captured from a simulated run with
// churn and lookups) survives MessagePack and the schema unchanged; and a message with one field
// removed, retyped or added is refused with a SchemaError naming the field.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { SchemaError, validate } from "../../src/core/schema.js";
import { ringMessageSchema } from "../../src/overlay/message-schema.js";
import type { RingMessage, RingTimer } from "../../src/overlay/messages.js";
import { runRing } from "../../src/sim/ring-harness.js";
import { relaxedRing } from "../../src/sim/ring-protocol.js";
import { packr } from "../../src/wire/codec.js";

const ids = new IdSpace();
const schema = ringMessageSchema(ids);

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

describe("ring message schema", () => {
  const sent: unknown[] = [];
  before(() => {
    const byType = new Map<string, number>();
    runRing<RingMessage, RingTimer>(
      relaxedRing(),
      { seed: 3 },
      {
        nodes: 40,
        buildJoinGapMs: 50,
        settleMs: 5000,
        measureMs: 20_000,
        quietMs: 5000,
        churn: { joins: 1, crashes: 0.5, leaves: 0.5 },
        lookupsPerSec: 5,
        connectivity: 1,
        linkFlapsPerSec: 0.5,
      },
      () => {},
      (sim) =>
        sim.observe({
          onSend(_from, _to, msg) {
            const n = byType.get(msg.type) ?? 0;
            byType.set(msg.type, n + 1);
            if (n < 50) sent.push(asWire(msg));
          },
        }),
    );
  });

  it("accepts every message the ring sends, unchanged by MessagePack", () => {
    const types = new Set(sent.map((m) => (m as RingMessage).type));
    for (const t of [
      "ping",
      "pong",
      "route",
      "routeAck",
      "joinOk",
      "newSucc",
      "updSuccList",
      "fix",
      "fixOk",
      "leaving",
      "lookupReply",
      "newFinger",
      "probe",
      "probeReply",
    ])
      assert.ok(types.has(t as RingMessage["type"]), `the run sent ${t}`);
    for (const msg of sent) assert.deepEqual(validate(schema, packr.unpack(packr.pack(msg)), "msg"), msg);
  });

  it("refuses a message with a field removed, retyped or added, naming the field", () => {
    const junk = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.constant(-1n),
      fc.array(fc.nat()),
    );
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.constantFrom("remove", "retype", "add"),
        junk,
        (pick, fieldPick, change, value) => {
          const msg = { ...(sent[pick % sent.length] as Record<string, unknown>) };
          const fields = Object.keys(msg).filter((k) => k !== "type");
          if (change === "add") msg.extra = value;
          else {
            if (fields.length === 0) return;
            const field = fields[fieldPick % fields.length] as string;
            const old = msg[field];
            // on the wire an id may come as a bigint, a safe integer or a decimal string: one kind
            // (a decimal string in place of a number may be valid, so it is no retype of one)
            const kind = (v: unknown) =>
              v === null
                ? "null"
                : Array.isArray(v)
                  ? "array"
                  : typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0)
                    ? "integer"
                    : typeof v;
            const decimal = typeof value === "string" && /^[0-9]+$/.test(value);
            if (change === "remove") delete msg[field];
            // a retype must change the kind of value (a number for a number may be valid), and null
            // is a valid value where a field is optional
            else if (kind(value) === kind(old) || (decimal && kind(old) === "integer") || value === null)
              return;
            else msg[field] = value;
          }
          assert.throws(
            () => validate(schema, msg, "msg"),
            (error: unknown) => error instanceof SchemaError && /^msg\.[A-Za-z]+/.test(error.path),
          );
        },
      ),
    );
  });

  it("refuses what is not a message at all", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.throws(() => validate(schema, value, "msg"), SchemaError);
      }),
    );
  });
});
