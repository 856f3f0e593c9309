// JSON text ↔ values without losing integers (docs/api.md §3): an integer literal outside JavaScript's
// safe range parses to a bigint and a bigint prints as its digits, so 2^63-1 and 10^20 round-trip
// exactly. The parser is depth-limited and never throws anything but JsonSyntaxError on bad input.

/** A JSON value as the API sees it: numbers beyond 2^53 are bigints. */
export type Json =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly Json[]
  | { readonly [key: string]: Json };

export class JsonSyntaxError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(`${message} at character ${position}`);
    this.name = "JsonSyntaxError";
    this.position = position;
  }
}

export interface ParseOptions {
  /** Arrays and objects nested deeper than this are refused (a stack guard). */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
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

/** Parses JSON text; integers outside ±(2^53 - 1) become bigints. */
export function parseJson(text: string, options: ParseOptions = {}): Json {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.at < text.length) throw new JsonSyntaxError("unexpected text after the value", parser.at);
  return value;
}

class Parser {
  at = 0;
  private readonly text: string;
  private readonly maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  value(depth: number): Json {
    this.skipWhitespace();
    const c = this.text[this.at];
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    throw new JsonSyntaxError(
      c === undefined ? "unexpected end of text" : `unexpected ${JSON.stringify(c)}`,
      this.at,
    );
  }

  private nest(depth: number): void {
    if (depth > this.maxDepth) throw new JsonSyntaxError(`nested deeper than ${this.maxDepth}`, this.at);
    this.at += 1;
  }

  private expect(c: string): void {
    this.skipWhitespace();
    if (this.text[this.at] !== c) throw new JsonSyntaxError(`expected ${JSON.stringify(c)}`, this.at);
    this.at += 1;
  }

  /** After an element: true at the closing bracket (consumed), false after a comma. */
  private closes(close: string): boolean {
    this.skipWhitespace();
    const c = this.text[this.at];
    this.at += 1;
    if (c === close) return true;
    if (c === ",") return false;
    throw new JsonSyntaxError(`expected "," or ${JSON.stringify(close)}`, this.at - 1);
  }

  private array(depth: number): Json[] {
    this.nest(depth);
    const items: Json[] = [];
    this.skipWhitespace();
    if (this.text[this.at] === "]") {
      this.at += 1;
      return items;
    }
    do items.push(this.value(depth));
    while (!this.closes("]"));
    return items;
  }

  private object(depth: number): { [key: string]: Json } {
    this.nest(depth);
    const members: { [key: string]: Json } = {};
    this.skipWhitespace();
    if (this.text[this.at] === "}") {
      this.at += 1;
      return members;
    }
    do {
      this.skipWhitespace();
      if (this.text[this.at] !== '"') throw new JsonSyntaxError("expected a member name", this.at);
      const key = this.string();
      this.expect(":");
      const value = this.value(depth);
      Object.defineProperty(members, key, { value, enumerable: true, writable: true, configurable: true });
    } while (!this.closes("}"));
    return members;
  }

  private string(): string {
    this.at += 1;
    let out = "";
    for (;;) {
      STRING_RUN.lastIndex = this.at;
      STRING_RUN.exec(this.text);
      out += this.text.slice(this.at, STRING_RUN.lastIndex);
      this.at = STRING_RUN.lastIndex;
      const c = this.text[this.at];
      if (c === '"') {
        this.at += 1;
        return out;
      }
      if (c !== "\\")
        throw new JsonSyntaxError(
          c === undefined ? "unterminated string" : "control character in a string",
          this.at,
        );
      out += this.escape();
    }
  }

  private escape(): string {
    const c = this.text[this.at + 1] ?? "";
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      this.at += 2;
      return simple;
    }
    const hex = this.text.slice(this.at + 2, this.at + 6);
    if (c !== "u" || !/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError("bad escape", this.at);
    this.at += 6;
    return String.fromCharCode(Number.parseInt(hex, 16));
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new JsonSyntaxError("bad number", this.at);
    this.at = NUMBER.lastIndex;
    const literal = match[0];
    if (match[1] === undefined && match[2] === undefined) {
      const n = Number(literal);
      return Number.isSafeInteger(n) ? n : BigInt(literal);
    }
    const n = Number(literal);
    if (!Number.isFinite(n)) throw new JsonSyntaxError("number out of range", this.at - literal.length);
    return n;
  }
}

/** JSON text of a value; bigints print as integer literals. Non-finite numbers are refused. */
export function stringifyJson(value: Json): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: Json) => stringifyJson(v)).join(",")}]`;
  const members = Object.entries(value as { readonly [key: string]: Json });
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`).join(",")}}`;
}
