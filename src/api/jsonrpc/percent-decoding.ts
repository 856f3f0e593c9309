// Percent-decoding of a body (docs/scalaris-api.md §1): each %XX becomes its byte, read as UTF-8, up to
// the first literal "?"; Scalaris's Python client percent-encodes the whole JSON text.
// Must not break: "+" stays "+"; a "%" without two hex digits stays literal; raw JSON passes through.

const PERCENT = 0x25;

function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** The bytes of `text` with each %XX replaced by the byte it names. */
function decodeBytes(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const high = byte === PERCENT ? hexDigit(bytes[i + 1]) : -1;
    const low = high >= 0 ? hexDigit(bytes[i + 2]) : -1;
    if (low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
    } else out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** The body as the JSON parser gets it: percent-decoded up to the first literal "?". */
export function percentDecode(body: string): string {
  if (!body.includes("%")) return body;
  const stop = body.indexOf("?");
  const head = stop < 0 ? body : body.slice(0, stop);
  const tail = stop < 0 ? "" : body.slice(stop);
  return decodeBytes(head).toString("utf8") + tail;
}
