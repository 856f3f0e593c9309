// Hostile HTTP requests as raw bytes for the API fuzz test (docs/api.md §4, §6): garbage methods, targets,
// headers, bodies and framings, partial and slow requests. Must not break: a case is a pure function of
// (seed, index, server), and a "complete" case is one the server can finish reading (else it is "partial").
import { SeededRandom } from "./seeded-random.js";

/** What the generator must know about the server under test. */
export interface FuzzServer {
  /** host:port, the normal Host header. */
  readonly host: string;
  /** A valid admin bearer token. */
  readonly token: string;
  /** Safe keys the valid bodies use (so reads meet writes). */
  readonly keys: number;
}

/** A request sent whole (perhaps in paced pieces): the server must answer it. */
export interface CompleteRequest {
  readonly kind: "complete";
  readonly index: number;
  /** What was drawn, for a failure's message. */
  readonly label: string;
  readonly method: string;
  readonly target: string;
  readonly writes: readonly Buffer[];
  /** The pause between writes: the request is dribbled, well within the header timeout. */
  readonly paceMs: number;
  /** HEAD: the answer has no body. */
  readonly head: boolean;
  /** A Scalaris .yaws target: its errors may have Scalaris's own bodies. */
  readonly scalaris: boolean;
  /** Whether the connection may carry another request after the answer (else it is closed). */
  readonly reuse: boolean;
  /**
   * Whether a 408 is a fair answer: an upgrade request with a broken body framing. Node's parser does not
   * report a framing error after an Upgrade header (it stops parsing there), so such a request waits out
   * the request timeout; any other complete request answered 408 was left waiting for bytes it had.
   */
  readonly mayTimeOut: boolean;
}

/** A request never finished: the server's header or request timeout must close its connection. */
export interface PartialRequest {
  readonly kind: "partial";
  readonly index: number;
  readonly label: string;
  /** Which timeout ends it: the header's, or the whole request's. */
  readonly stage: "header" | "request";
  /** Sent at once. */
  readonly prefix: Buffer;
  /** Then these bytes, one at a time every dripMs, over and over until the server closes. */
  readonly drip: Buffer | null;
  readonly dripMs: number;
}

export type HostileRequest = CompleteRequest | PartialRequest;

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PRINTABLE =
  " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
const HEX = "0123456789abcdef";
const BASE64URL = `${UNRESERVED.slice(0, 62)}-_`;
const MIB = 1 << 20;

/** JSON-RPC methods that read or write keys: the node-control ones (add, kill, shut down) are left out. */
const RPC_METHODS = [
  "read",
  "write",
  "test_and_set",
  "add_on_nr",
  "add_del_on_list",
  "req_list",
  "req_list_commit_each",
  "get_version",
  "get_info",
  "number_of_nodes",
  "get_nodes",
  "get_replication_factor",
  "nop",
  "no_such_method",
] as const;
const RPC_PATHS = ["/api/tx.yaws", "/api/rdht.yaws", "/api/rt.yaws", "/api/vm.yaws", "/jsonrpc.yaws"];

type Family = "kv" | "tx" | "tokens" | "vm" | "merge" | "events" | "jsonrpc" | "other";

interface Route {
  readonly target: string;
  readonly family: Family;
}

// ---- values and bodies -------------------------------------------------------------------------

function digits(r: SeededRandom, n: number): string {
  return `${r.int(1, 9)}${r.text(n - 1, "0123456789")}`;
}

function jsonString(r: SeededRandom): string {
  return JSON.stringify(
    r.weighted<string>([
      [4, r.text(r.int(0, 12), UNRESERVED)],
      [2, r.text(r.int(0, 8), PRINTABLE)],
      [1, "ünïcødé ✓ 𝄞"],
      [1, "\u0000selfman/tokens/x"],
      [1, String.fromCharCode(r.int(0, 0xffff))],
    ]),
  );
}

/** A JSON value as text: numbers of every size, strings, binary, nesting a few deep. */
function jsonValue(r: SeededRandom, depth = 0): string {
  const leaf = (): string =>
    r.weighted<() => string>([
      [3, () => String(r.int(-1000, 1000))],
      [1, () => String(r.u32() * 1e6 + 0.5)],
      [2, () => `${r.chance(0.5) ? "-" : ""}${digits(r, r.int(17, 300))}`],
      [3, () => jsonString(r)],
      [1, () => r.pick(["true", "false", "null"])],
      [1, () => `{"$base64":"${Buffer.from(r.bytes(r.int(0, 24))).toString("base64")}"}`],
    ])();
  if (depth >= 3 || r.chance(0.6)) return leaf();
  const n = r.int(0, 4);
  const items = Array.from({ length: n }, () => jsonValue(r, depth + 1));
  if (r.chance(0.5)) return `[${items.join(",")}]`;
  return `{${items.map((v, i) => `${JSON.stringify(`m${i}${r.text(2, UNRESERVED)}`)}:${v}`).join(",")}}`;
}

function safeKey(r: SeededRandom, server: FuzzServer): string {
  return `k${r.int(0, server.keys - 1)}`;
}

function txOp(r: SeededRandom, server: FuzzServer): string {
  const key = JSON.stringify(safeKey(r, server));
  return r.weighted<() => string>([
    [3, () => `{"op":"read","key":${key}}`],
    [3, () => `{"op":"write","key":${key},"value":${jsonValue(r)}}`],
    [1, () => `{"op":"delete","key":${key}}`],
    [2, () => `{"op":"add_on_nr","key":${key},"by":${r.int(-5, 5)}}`],
    [1, () => `{"op":"add_del_on_list","key":${key},"add":[${jsonValue(r)}],"del":[]}`],
    [1, () => `{"op":"test_and_set","key":${key},"old":${jsonValue(r)},"new":${jsonValue(r)}}`],
  ])();
}

/** A body the route accepts (never for node control or merges: those would change the process). */
function validBody(r: SeededRandom, family: Family, method: string, server: FuzzServer): string {
  switch (family) {
    case "kv":
      if (method === "PUT") return `{"value":${jsonValue(r)}}`;
      return r.weighted<() => string>([
        [2, () => `{"op":"cas","expected":${jsonValue(r)},"value":${jsonValue(r)}}`],
        [2, () => `{"op":"incr"${r.chance(0.5) ? `,"by":${r.int(-9, 9)}` : ""}}`],
        [1, () => `{"op":"append","value":${jsonValue(r)}}`],
        [1, () => `{"op":"remove","value":${jsonValue(r)}}`],
      ])();
    case "tx": {
      const ops = Array.from({ length: r.int(1, 4) }, () => txOp(r, server)).join(",");
      const extra = r.weighted<string>([
        [6, ""],
        [2, ',"commit":false'],
        [1, `,"tlog":"${r.text(r.int(0, 80), BASE64URL)}"`],
        [1, `,"tlog":"${r.text(40, BASE64URL)}","commit":true`],
      ]);
      return `{"ops":[${ops}]${extra}}`;
    }
    case "tokens":
      return `{"scopes":["${r.pick(["read", "write"])}"],"name":${jsonString(r)}}`;
    case "jsonrpc": {
      const call = () =>
        `{"jsonrpc":"2.0","method":"${r.pick(RPC_METHODS)}","params":[${Array.from(
          { length: r.int(0, 3) },
          () => (r.chance(0.5) ? JSON.stringify(safeKey(r, server)) : jsonValue(r)),
        ).join(",")}]${r.chance(0.9) ? `,"id":${r.int(0, 99)}` : ""}}`;
      return r.chance(0.8) ? call() : `[${Array.from({ length: r.int(0, 4) }, call).join(",")}]`;
    }
    default:
      return wrongBody(r, family);
  }
}

/** A body that looks right for the route but has a wrong type, member or range somewhere. */
function wrongBody(r: SeededRandom, family: Family): string {
  const common = ["[]", "null", "5", '"value"', "{}", '{"value":1,"extra":2}', '{"__proto__":{"x":1}}'];
  const byFamily: Readonly<Record<Family, readonly string[]>> = {
    kv: [
      '{"valu":1}',
      '{"op":"incr","by":"1"}',
      '{"op":"incr","by":1e308}',
      '{"op":"nope"}',
      '{"op":"cas","value":1}',
      '{"op":["incr"]}',
      '{"value":{"$base64":"!!"}}',
      '{"value":{"$base64":"aGk=","x":1}}',
    ],
    tx: [
      '{"ops":"x"}',
      '{"ops":[{"op":"read"}]}',
      '{"ops":[{"op":"read","key":5}]}',
      '{"ops":[{"op":"write","key":"k1"}]}',
      '{"ops":[],"commit":"yes"}',
      '{"ops":[{"op":"read","key":""}]}',
      '{"ops":[{"op":"read","key":"\\u0000selfman/tokens/a"}]}',
      '{"ops":[{"op":"add_on_nr","key":"k1","by":"2"}]}',
      '{"ops":[],"tlog":5}',
      `{"ops":[${Array.from({ length: 1025 }, () => '{"op":"read","key":"k1"}').join(",")}]}`,
    ],
    tokens: [
      '{"scopes":"admin"}',
      '{"scopes":["root"]}',
      '{"scopes":[],"name":7}',
      '{"scopes":["read","read","read","read"]}',
    ],
    vm: [
      '{"count":"1"}',
      '{"count":0}',
      '{"count":17}',
      '{"count":1.5}',
      '{"count":-1}',
      '{"count":null}',
      '{"cnt":1}',
    ],
    merge: [
      '{"contact":5}',
      '{"contact":["a"]}',
      '{"contact":"not an address"}',
      '{"contact":""}',
      '{"contac":"x:1"}',
    ],
    events: ["{}"],
    jsonrpc: [
      '{"jsonrpc":"2.0","method":"read","params":"k1","id":1}',
      '{"method":5,"params":[],"id":1}',
      '{"jsonrpc":"2.0","method":"read","params":[{"a":1}],"id":{}}',
      "[1,2,3]",
      '{"jsonrpc":"2.0","method":"write","params":["k1",{"type":"as_bin","value":"!"}],"id":1}',
    ],
    other: ['{"a":1}'],
  };
  return r.chance(0.3) ? r.pick(common) : r.pick(byFamily[family]);
}

/** Valid or near-valid text broken: cut, a character changed or added, JSON's look-alikes. */
function malformed(r: SeededRandom, text: string): string {
  const at = r.int(0, text.length);
  return r.weighted<() => string>([
    [3, () => text.slice(0, at)],
    [
      2,
      () =>
        `${text.slice(0, at)}${r.pick(["}", "]", ",", ":", '"', "\\", "'", "\u0001", "x"])}${text.slice(at)}`,
    ],
    [1, () => text.replace(/"/g, "'")],
    [1, () => `${text},`],
    [1, () => `\ufeff${text}`],
    [1, () => `/* c */${text}`],
    [
      1,
      () =>
        r.pick([
          "NaN",
          "Infinity",
          "-",
          "01",
          "1.",
          ".5",
          "1e",
          '"\\x41"',
          '"\\u12"',
          "tru",
          "[1,]",
          '{"a" 1}',
          "{,}",
        ]),
    ],
  ])();
}

function hugeNumbers(r: SeededRandom, family: Family): string {
  const n = r.pick([
    "1e400",
    "-1e400",
    "1e-400",
    digits(r, 300),
    `-${digits(r, 300)}`,
    "1.7976931348623157e309",
    "0.1e99999",
  ]);
  switch (family) {
    case "kv":
      return r.chance(0.5) ? `{"value":${n}}` : `{"op":"incr","by":${n}}`;
    case "tx":
      return `{"ops":[{"op":"add_on_nr","key":"k1","by":${n}},{"op":"write","key":"k2","value":[${n}]}]}`;
    case "vm":
      return `{"count":${n}}`;
    case "jsonrpc":
      return `{"jsonrpc":"2.0","method":"add_on_nr","params":["k1",${n}],"id":${n}}`;
    default:
      return `{"value":${n},"count":${n}}`;
  }
}

function deepNesting(r: SeededRandom): string {
  const depth = r.pick([65, 1000, 10_000]);
  return r.weighted<() => string>([
    [2, () => `${"[".repeat(depth)}${"]".repeat(depth)}`],
    [2, () => `{"value":${"[".repeat(depth)}${"]".repeat(depth)}}`],
    [1, () => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`],
    [1, () => "[".repeat(depth)],
  ])();
}

function invalidUtf8(r: SeededRandom, family: Family): Buffer {
  const bad = Buffer.concat(
    Array.from({ length: r.int(1, 6) }, () =>
      Buffer.from(
        r.pick([
          [0xff],
          [0xfe, 0xff],
          [0xc0, 0xaf],
          [0xed, 0xa0, 0x80],
          [0xe0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
          [0x80],
        ]),
      ),
    ),
  );
  const [open, close] =
    family === "tx"
      ? ['{"ops":[{"op":"write","key":"k1', '","value":1}]}']
      : family === "jsonrpc"
        ? ['{"jsonrpc":"2.0","method":"read","params":["', '"],"id":1}']
        : ['{"value":"', '"}'];
  return Buffer.concat([Buffer.from(open), bad, Buffer.from(close)]);
}

/** A body just over the 1 MiB limit: a JSON string value of that size. */
function overLimit(r: SeededRandom): Buffer {
  const size = MIB + r.int(1, 64);
  const body = Buffer.alloc(size, 0x61);
  body.write('{"value":"', 0, "latin1");
  body.write('"}', size - 2, "latin1");
  return body;
}

function drawBody(r: SeededRandom, method: string, family: Family, server: FuzzServer): Buffer | null {
  const wantsBody = method === "PUT" || method === "POST" || method === "PATCH";
  if (!wantsBody && r.chance(0.85)) return null;
  return r.weighted<() => Buffer | null>([
    [30, () => Buffer.from(validBody(r, family, method, server))],
    [18, () => Buffer.from(wrongBody(r, family))],
    [14, () => Buffer.from(malformed(r, validBody(r, family, method, server)))],
    [8, () => Buffer.from(hugeNumbers(r, family))],
    [4, () => Buffer.from(deepNesting(r))],
    [6, () => invalidUtf8(r, family)],
    [6, () => r.bytes(r.int(1, 4096))],
    [1, () => overLimit(r)],
    [4, () => Buffer.alloc(0)],
    [6, () => null],
  ])();
}

// ---- request lines and headers ---------------------------------------------------------------

function drawMethod(r: SeededRandom): string {
  return r.weighted<() => string>([
    [25, () => "GET"],
    [16, () => "PUT"],
    [24, () => "POST"],
    [8, () => "DELETE"],
    [4, () => "PATCH"],
    [3, () => "HEAD"],
    [2, () => "OPTIONS"],
    [
      8,
      () =>
        r.pick([
          "FOO",
          "get",
          "G\tET",
          "",
          "CONNECT",
          "TRACE",
          "PROPFIND",
          "PURGE",
          "M-SEARCH",
          "\u0000GET",
          "A".repeat(300),
          r.text(r.int(1, 20), TOKEN_CHARS),
          r.bytes(r.int(1, 8)).toString("latin1"),
        ]),
    ],
  ])();
}

/** A method the route serves (mostly: a few routes answer 404 to it). */
function fittingMethod(r: SeededRandom, route: Route): string {
  const methods: Readonly<Record<Family, readonly string[]>> = {
    kv: ["GET", "PUT", "PUT", "POST", "POST", "DELETE"],
    tx: ["POST"],
    tokens: ["POST", "DELETE"],
    vm: ["POST", "DELETE"],
    merge: ["POST"],
    events: ["GET"],
    jsonrpc: ["POST"],
    other: ["GET"],
  };
  return r.pick(methods[route.family]);
}

/** A key as it goes into the path: safe, random, percent-encoded, broken, traversing, long, reserved. */
function keyPath(r: SeededRandom, server: FuzzServer): string {
  return r.weighted<() => string>([
    [10, () => safeKey(r, server)],
    [5, () => encodeURIComponent(r.text(r.int(1, 40), PRINTABLE))],
    [4, () => [...r.bytes(r.int(1, 30))].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")],
    [3, () => `a${r.pick(["%", "%z", "%zz", "%E0%A4", "%C0%AF", "%ED%A0%80", "%%", "%2"])}b`],
    [2, () => `x%00${r.text(3, UNRESERVED)}`],
    [
      3,
      () =>
        r.pick([
          "../",
          "..%2f..%2fmetrics",
          "%2e%2e/%2e%2e/health",
          "a/../../ready",
          "./a",
          "a/./b//c",
          "..",
          "%2F",
        ]),
    ],
    [3, () => r.pick(["a".repeat(1025), "b".repeat(r.int(1026, 5000)), "c".repeat(17_000)])],
    [2, () => r.bytes(r.int(1, 12)).toString("latin1")],
    [1, () => "%00selfman%2Ftokens%2Fabc"],
    [1, () => ""],
  ])();
}

function drawRoute(r: SeededRandom, server: FuzzServer): Route {
  const hex16 = () => r.text(16, HEX);
  return r.weighted<() => Route>([
    [30, () => ({ target: `/v1/kv/${keyPath(r, server)}`, family: "kv" })],
    [12, () => ({ target: "/v1/tx", family: "tx" })],
    [4, () => ({ target: "/v1/tokens", family: "tokens" })],
    [2, () => ({ target: `/v1/tokens/${r.chance(0.5) ? hex16() : keyPath(r, server)}`, family: "tokens" })],
    [3, () => ({ target: "/v1/vm/nodes", family: "vm" })],
    [
      2,
      () => ({
        target: `/v1/vm/nodes/${r.pick(["node-1", "x", "fuzz-node-2", r.text(r.int(1, 30), UNRESERVED)])}?mode=${r.pick(["kill", "shutdown", "x", ""])}`,
        family: "vm",
      }),
    ],
    [3, () => ({ target: "/v1/events", family: "events" })],
    [2, () => ({ target: `/v1/lookup/${keyPath(r, server)}`, family: "kv" })],
    [
      3,
      () => ({
        target: r.pick(["/v1/status", "/v1/nodes", "/v1/ranges", "/v1/openapi.json"]),
        family: "other",
      }),
    ],
    [2, () => ({ target: "/v1/merge", family: "merge" })],
    [2, () => ({ target: "/metrics", family: "other" })],
    [2, () => ({ target: r.pick(["/health", "/ready"]), family: "other" })],
    [10, () => ({ target: r.pick(RPC_PATHS), family: "jsonrpc" })],
    [2, () => ({ target: `/api/${r.text(r.int(1, 10), UNRESERVED)}.yaws`, family: "jsonrpc" })],
    [4, () => ({ target: `/${r.text(r.int(0, 60), `${UNRESERVED}/%`)}`, family: "other" })],
    [
      3,
      () => ({
        target: r.pick([
          "*",
          "",
          "http://127.0.0.1/v1/kv/k1",
          "https://x/v1/status",
          "//v1//kv//k1",
          "v1/kv/k1",
          "/v1/kv/k1#frag",
          `/?${"q=1&".repeat(r.int(1, 2000))}`,
          "/v1/kv/k1?x=%zz&&&=",
          "/v1/kv/k1\\..\\",
          "/v1/kv/k 1",
          "/v1/events?x",
        ]),
        family: "other",
      }),
    ],
  ])();
}

function drawVersion(r: SeededRandom): string {
  return r.weighted<() => string>([
    [92, () => "HTTP/1.1"],
    [4, () => "HTTP/1.0"],
    [4, () => r.pick(["HTTP/2.0", "HTTP/1.1x", "HTTP/9.9", "http/1.1", "", "HTTP/1", "HTTP/1.1 extra"])],
  ])();
}

function hostHeaders(r: SeededRandom, server: FuzzServer): string[] {
  return r.weighted<() => string[]>([
    [90, () => [`Host: ${server.host}`]],
    [
      10,
      () =>
        r.pick([
          [],
          ["Host: "],
          ["Host: a b"],
          ["Host: \u00e9vil"],
          [`Host: ${"h".repeat(300)}`],
          ["Host: [::1"],
          ["Host: 127.0.0.1:99999"],
          [`Host: ${server.host}`, "Host: other:1"],
        ]),
    ],
  ])();
}

function authHeaders(r: SeededRandom, server: FuzzServer): string[] {
  const valid = `Authorization: Bearer ${server.token}`;
  return r.weighted<() => string[]>([
    [82, () => [valid]],
    [
      18,
      () =>
        r.pick([
          [],
          ["Authorization: Bearer"],
          [`Authorization: Bearer ${r.text(r.int(1, 60), PRINTABLE)}`],
          [`Authorization: Bearer smt_${r.text(16, HEX)}_${r.text(43, BASE64URL)}`],
          [`Authorization: Basic ${Buffer.from("user:pass").toString("base64")}`],
          [
            `Authorization: ${r
              .bytes(r.int(1, 40))
              .toString("latin1")
              .replace(/[\r\n]/g, "")}`,
          ],
          [`Authorization: Bearer ${"A".repeat(8000)}`],
          [valid, "Authorization: Bearer nope"],
          [`authorization:bearer ${server.token}`],
        ]),
    ],
  ])();
}

/** 0–5 random headers; sometimes malformed (a bad name, a control byte, a folded line, no colon). */
function extraHeaders(r: SeededRandom, family: Family): string[] {
  const out: string[] = [];
  if (r.chance(0.3))
    out.push(
      `Content-Type: ${r.pick(["application/json", "text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x", r.text(20, PRINTABLE)])}`,
    );
  if (family === "events" && r.chance(0.6))
    out.push(
      `Last-Event-ID: ${r.pick(["0", "-5", "1e400", "abc", digits(r, 40), "", String(r.int(0, 2000))])}`,
    );
  if (r.chance(0.04)) out.push(`Expect: ${r.pick(["100-continue", "200-ok", "", "100-continue, x"])}`);
  if (r.chance(0.05))
    out.push(
      ...r.pick([
        ["Connection: close"],
        ["Connection: keep-alive"],
        ["Connection: Upgrade", "Upgrade: websocket"],
        ["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"],
        [`Connection: ${r.text(10, TOKEN_CHARS)}`],
      ]),
    );
  for (
    let i = r.weighted([
      [6, 0],
      [3, 1],
      [2, r.int(2, 5)],
    ]);
    i > 0;
    i--
  )
    out.push(`${r.text(r.int(1, 20), TOKEN_CHARS)}: ${r.text(r.int(0, 80), PRINTABLE)}`);
  if (r.chance(0.06))
    out.push(
      r.pick([
        `${r.pick(["bad name", "x(y)", "\u0001x", "", "x\u00ff"])}: v`,
        `X-Ctl: a${r.pick(["\u0000", "\u007f", "\u0008", "\u00ff\u00fe"])}b`,
        `X-Fold: a\r\n ${r.text(5, UNRESERVED)}`,
        r.text(r.int(1, 20), TOKEN_CHARS),
        "X-Lf: a\nX-Other: b",
      ]),
    );
  if (r.chance(0.02))
    out.push(
      ...r.pick([
        [`X-Huge: ${"v".repeat(17_000)}`],
        Array.from({ length: 200 }, (_, i) => `X-Many-${i}: ${"m".repeat(90)}`),
        Array.from({ length: 2100 }, (_, i) => `m${i}: 1`),
      ]),
    );
  return out;
}

interface Framing {
  readonly headers: string[];
  readonly payload: Buffer;
  /** The server reads exactly this request: the connection may be reused after it. */
  readonly clean: boolean;
}

function chunked(r: SeededRandom, body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const n = Math.min(body.length - at, r.int(1, Math.max(1, Math.min(body.length, 70_000))));
    const ext = r.chance(0.1) ? `;${r.text(3, UNRESERVED)}=${r.text(3, UNRESERVED)}` : "";
    parts.push(Buffer.from(`${n.toString(16)}${ext}\r\n`), body.subarray(at, at + n), Buffer.from("\r\n"));
    at += n;
  }
  parts.push(Buffer.from(r.chance(0.1) ? `0\r\nX-Trailer: ${r.text(4, UNRESERVED)}\r\n\r\n` : "0\r\n\r\n"));
  return Buffer.concat(parts);
}

/** Chunks the parser must refuse at once (never merely unfinished: that is a partial request). */
function badChunks(r: SeededRandom, body: Buffer): Buffer {
  const data = body.subarray(0, Math.min(body.length, 100));
  const n = data.length.toString(16);
  return Buffer.concat([
    Buffer.from(
      r.pick([
        `zz\r\n`,
        `-1\r\n`,
        `${"f".repeat(20)}\r\n`,
        `${n} \u0000\r\n`,
        `0x${n}\r\n`,
        `${n}\r\n${data.toString("latin1")}XX`,
        `${n}\n${data.toString("latin1")}\n0\n\n`,
        `1\r\nab\r\n0\r\n\r\n`,
        `\r\n`,
      ]),
      "latin1",
    ),
    Buffer.from("\r\n0\r\n\r\n"),
  ]);
}

function drawFraming(r: SeededRandom, body: Buffer | null): Framing {
  if (body === null)
    return { headers: r.chance(0.05) ? ["Content-Length: 0"] : [], payload: Buffer.alloc(0), clean: true };
  const length = String(body.length);
  return r.weighted<() => Framing>([
    [72, () => ({ headers: [`Content-Length: ${length}`], payload: body, clean: true })],
    [14, () => ({ headers: ["Transfer-Encoding: chunked"], payload: chunked(r, body), clean: true })],
    [4, () => ({ headers: ["Transfer-Encoding: chunked"], payload: badChunks(r, body), clean: false })],
    [
      6,
      () => ({
        headers: r.pick([
          ["Content-Length: abc"],
          ["Content-Length: -1"],
          [`Content-Length: ${length}`, `Content-Length: ${body.length + 1}`],
          [`Content-Length: ${length}`, `Content-Length: ${length}`],
          [`Content-Length: ${length}, ${length}`],
          [`Content-Length: +${length}`],
          [`Content-Length: 0x${body.length.toString(16)}`],
          ["Content-Length: 99999999999999999999999"],
          [`Content-Length: ${length}`, "Transfer-Encoding: chunked"],
          ["Transfer-Encoding: gzip"],
          ["Transfer-Encoding: chunked, chunked"],
          ["Transfer-Encoding: identity"],
        ]),
        payload: body,
        clean: false,
      }),
    ],
    [4, () => ({ headers: [], payload: body, clean: false })],
  ])();
}

// ---- partial and slow requests ----------------------------------------------------------------

function partialRequest(r: SeededRandom, index: number, server: FuzzServer): PartialRequest {
  const head = (method: string, target: string, more: string[]) =>
    `${method} ${target} HTTP/1.1\r\nHost: ${server.host}\r\nAuthorization: Bearer ${server.token}\r\n${more.map((h) => `${h}\r\n`).join("")}\r\n`;
  const dripMs = r.int(50, 200);
  const kind = r.pick([
    "silent",
    "header-cut",
    "header-drip",
    "body-short",
    "chunk-cut",
    "body-drip",
  ] as const);
  switch (kind) {
    case "silent":
      return {
        kind: "partial",
        index,
        label: kind,
        stage: "header",
        prefix: Buffer.alloc(0),
        drip: null,
        dripMs,
      };
    case "header-cut": {
      const full = head(r.pick(["GET", "PUT", "POST"]), `/v1/kv/${safeKey(r, server)}`, ["X-Pad: abc"]);
      const cut = r.int(1, full.length - 4);
      return {
        kind: "partial",
        index,
        label: `${kind} at ${cut}`,
        stage: "header",
        prefix: Buffer.from(full.slice(0, cut)),
        drip: null,
        dripMs,
      };
    }
    case "header-drip":
      return {
        kind: "partial",
        index,
        label: `${kind} every ${dripMs} ms`,
        stage: "header",
        prefix: Buffer.from(`GET /v1/kv/${safeKey(r, server)} HTTP/1.1\r\nHost: ${server.host}\r\nX-Slow: `),
        drip: Buffer.from("abcdefgh"),
        dripMs,
      };
    case "body-short": {
      const declared = r.int(10, 5000);
      const sent = r.int(0, declared - 1);
      const method = r.pick(["PUT", "POST", "GET", "DELETE"]);
      const target =
        method === "POST" && r.chance(0.3)
          ? r.pick(["/v1/tx", "/api/tx.yaws"])
          : `/v1/kv/${safeKey(r, server)}`;
      return {
        kind: "partial",
        index,
        label: `${kind} ${method} ${target} ${sent}/${declared}`,
        stage: "request",
        prefix: Buffer.from(
          head(method, target, [`Content-Length: ${declared}`]) +
            `{"value":"${"x".repeat(sent)}`.slice(0, sent),
        ),
        drip: null,
        dripMs,
      };
    }
    case "chunk-cut":
      return {
        kind: "partial",
        index,
        label: kind,
        stage: "request",
        prefix: Buffer.from(
          `${head("PUT", `/v1/kv/${safeKey(r, server)}`, ["Transfer-Encoding: chunked"])}5\r\n{"val\r\n`,
        ),
        drip: null,
        dripMs,
      };
    case "body-drip":
      return {
        kind: "partial",
        index,
        label: `${kind} every ${dripMs} ms`,
        stage: "request",
        prefix: Buffer.from(
          `${head("PUT", `/v1/kv/${safeKey(r, server)}`, ["Content-Length: 100000"])}{"value":"`,
        ),
        drip: Buffer.from("y"),
        dripMs,
      };
  }
}

// ---- the whole request ------------------------------------------------------------------------

/** Splits `bytes` into a few pieces, to be written with pauses (a dribbled but complete request). */
function pieces(r: SeededRandom, bytes: Buffer): Buffer[] {
  const cuts = Array.from({ length: r.int(1, 8) }, () => r.int(1, Math.max(1, bytes.length - 1)))
    .sort((a, b) => a - b)
    .filter((c, i, all) => c !== all[i - 1]);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out.filter((b) => b.length > 0);
}

/** The request number `index` of the run seeded with `seed`. */
export function hostileRequest(seed: number, index: number, server: FuzzServer): HostileRequest {
  const r = new SeededRandom(seed, index);
  if (r.chance(0.02)) return partialRequest(r, index, server);
  const route = drawRoute(r, server);
  const method = r.chance(0.7) ? fittingMethod(r, route) : drawMethod(r);
  const version = drawVersion(r);
  const body = drawBody(r, method, route.family, server);
  const framing = drawFraming(r, body);
  const extra = extraHeaders(r, route.family);
  const lines = [
    `${method} ${route.target}${version === "" ? "" : ` ${version}`}`,
    ...hostHeaders(r, server),
    ...authHeaders(r, server),
    ...extra,
    ...framing.headers,
  ];
  const bytes = Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), framing.payload]);
  const dribble = bytes.length < 4096 && r.chance(0.01);
  const path = route.target.split(/[?#]/)[0] ?? "";
  return {
    kind: "complete",
    index,
    label: `${method.slice(0, 20)} ${route.target.slice(0, 60)} ${version}, body ${body === null ? "none" : `${body.length} B`}, framing ${framing.headers.join("; ").slice(0, 80) || "none"}`,
    method,
    target: route.target,
    writes: dribble ? pieces(r, bytes) : [bytes],
    paceMs: dribble ? r.int(10, 40) : 0,
    head: method === "HEAD",
    scalaris: path.endsWith(".yaws"),
    reuse: framing.clean && version === "HTTP/1.1",
    mayTimeOut: !framing.clean && extra.some((h) => h.startsWith("Upgrade:")),
  };
}
