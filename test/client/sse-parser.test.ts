// The Server-Sent Events parser (docs/client.md §5, src/client/sse-parser.ts): fields, comments, multi-line
// data, the persisting last id, `retry`, and every line ending; however a stream is cut into chunks (a CR
// and its LF in different chunks included), it gives the same messages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type SseMessage, SseParser } from "../../src/client/sse-parser.js";

function parseAll(chunks: readonly string[]): { messages: SseMessage[]; retryMs: number | null } {
  const parser = new SseParser();
  const messages = chunks.flatMap((chunk) => parser.push(chunk));
  return { messages, retryMs: parser.retryMs };
}

const STREAM = [
  ": a comment",
  "retry: 250",
  "id: 1",
  "event: join",
  'data: {"node":',
  'data: "a"}',
  "",
  "data:no space",
  "",
  "event: leave",
  "",
  "id",
  "data",
  "",
  "id: 7\u0000",
  "event: tx",
  "data:  two spaces",
  "",
  "data: unterminated",
].join("\n");

const EXPECTED: SseMessage[] = [
  { event: "join", data: '{"node":\n"a"}', id: "1" },
  { event: "message", data: "no space", id: "1" },
  { event: "message", data: "", id: "" },
  { event: "tx", data: " two spaces", id: "" },
];

describe("SSE parser", () => {
  it("parses fields, comments, multi-line data, ids and retry", () => {
    assert.deepStrictEqual(parseAll([STREAM]), { messages: EXPECTED, retryMs: 250 });
  });

  it("treats CRLF, CR and LF alike", () => {
    for (const ending of ["\r\n", "\r"]) {
      assert.deepStrictEqual(
        parseAll([STREAM.replaceAll("\n", ending)]).messages,
        EXPECTED,
        JSON.stringify(ending),
      );
    }
  });

  it("gives the same messages however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.uniqueArray(fc.nat({ max: STREAM.length * 2 }), { maxLength: 12 }),
        (ending, cuts) => {
          const text = STREAM.replaceAll("\n", ending);
          const points = [0, ...cuts.filter((c) => c < text.length).sort((a, b) => a - b), text.length];
          const chunks = points.slice(1).map((end, i) => text.slice(points[i], end));
          assert.deepStrictEqual(parseAll(chunks).messages, EXPECTED);
        },
      ),
    );
  });
});
