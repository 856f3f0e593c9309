// Lossless JSON for the HTTP API (docs/client.md §7): a recursive-descent parser that keeps integers
// beyond Number.MAX_SAFE_INTEGER exact as bigint, and a printer that writes bigints as plain digits.
// Must agree with JSON.parse/JSON.stringify on every value they represent exactly; depth stays bounded.

/** A JSON value with integers outside the safe range as bigint. */
export type Json =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly Json[]
  | { readonly [k: string]: Json };

/** The text is not JSON (or nests deeper than allowed); `position` is where parsing stopped. */
export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at character ${position}`);
    this.name = "JsonSyntaxError";
    this.position = position;
  }
}

export interface ParseOptions {
  /** Arrays and objects nested deeper than this are rejected (default 256). */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 256;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class Parser {
  pos = 0;
  readonly text: string;
  readonly maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  skipWhitespace(): void {
    let c = this.text.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = this.text.charCodeAt(++this.pos);
  }

  expect(literal: string): void {
    if (!this.text.startsWith(literal, this.pos)) this.fail(`expected ${literal}`);
    this.pos += literal.length;
  }

  value(depth: number): Json {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    return this.number();
  }

  literal<T extends Json>(word: string, result: T): T {
    this.expect(word);
    return result;
  }

  number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail("unexpected character");
    this.pos += match[0].length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    const n = Number(match[0]);
    if (!isInteger || Number.isSafeInteger(n) || Object.is(n, -0)) return n;
    return BigInt(match[0]);
  }

  string(): string {
    this.pos++; // the opening quote
    let out = "";
    let start = this.pos;
    for (;;) {
      const code = this.text.charCodeAt(this.pos);
      if (Number.isNaN(code)) this.fail("unterminated string");
      if (code < 0x20) this.fail("control character in string");
      if (code === 0x22) break;
      if (code === 0x5c) {
        out += this.text.slice(start, this.pos) + this.escape();
        start = this.pos;
      } else this.pos++;
    }
    out += this.text.slice(start, this.pos);
    this.pos++; // the closing quote
    return out;
  }

  escape(): string {
    const c = this.text[this.pos + 1] ?? "";
    this.pos += 2;
    const simple = ESCAPES[c];
    if (simple !== undefined) return simple;
    if (c !== "u") this.fail("bad escape");
    const hex = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
    this.pos += 4;
    return String.fromCharCode(Number.parseInt(hex, 16));
  }

  array(depth: number): Json[] {
    if (depth > this.maxDepth) this.fail("nested too deep");
    this.pos++;
    const out: Json[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected , or ]");
    }
  }

  object(depth: number): { [k: string]: Json } {
    if (depth > this.maxDepth) this.fail("nested too deep");
    this.pos++;
    const out: { [k: string]: Json } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail("expected a member name");
      const key = this.string();
      this.skipWhitespace();
      this.expect(":");
      setMember(out, key, this.value(depth));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected , or }");
    }
  }
}

/** Sets an own member, as JSON.parse does — `__proto__` too, without touching the prototype. */
function setMember(target: { [k: string]: Json }, key: string, value: Json): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

/** Parses JSON text; integers outside the safe range come back as bigint, all else as JSON.parse. */
export function parseJson(text: string, options: ParseOptions = {}): Json {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail("unexpected text after the value");
  return value;
}

/** Prints a value as JSON text, bigints as plain digits. A non-finite number is a RangeError. */
export function stringifyJson(value: Json): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (isJsonArray(value)) return `[${value.map(stringifyJson).join(",")}]`;
  const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`);
  return `{${members.join(",")}}`;
}

function isJsonArray(value: Json): value is readonly Json[] {
  return Array.isArray(value);
}
