// `selfman get|put|delete|cas|incr|append|remove KEY [...]`: single-key operations against the live
// cluster, linearizable (docs/register.md §2, §3). A VALUE is JSON when it parses as JSON, otherwise the
// text itself: `put name Alice` stores "Alice", `put n 5` the number 5, `put l '[1,2]'` a list.
import type { Command } from "commander";
import { authHeader } from "../runtime/admin-client.js";
import { readClusterFile } from "../runtime/local-cluster.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { type Address, commanderParser, formatAddress, parseAddressList } from "./flags.js";
import { toJsonLine } from "./sim-command.js";

export interface ClusterFlags {
  dir: string;
  admin?: Address[];
  json?: boolean;
}
type Flags = ClusterFlags;

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function adminAddresses(flags: Flags): Promise<string[]> {
  if (flags.admin !== undefined) return flags.admin.map(formatAddress);
  const file = await readClusterFile(flags.dir);
  if (file === null) throw new Error(`no cluster in ${flags.dir} (start one, or name a node with --admin)`);
  return file.nodes.map((n) => n.admin);
}

/**
 * Sends `body` (JSON) with `method` to `path` on the first node of the cluster that answers; an answer
 * with an error is final (it is not sent elsewhere). Returns the answer and whether it was a success.
 */
export async function requestCluster(
  flags: ClusterFlags,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; answer: Record<string, unknown> }> {
  let unreachable = "";
  for (const admin of await adminAddresses(flags)) {
    let response: Response;
    try {
      response = await fetch(`http://${admin}${path}`, {
        method,
        headers: { "content-type": "application/json", ...authHeader() },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      unreachable = `${admin}: ${error instanceof Error ? error.message : String(error)}`;
      continue;
    }
    return { ok: response.ok, answer: (await response.json()) as Record<string, unknown> };
  }
  throw new Error(`no node answered (last: ${unreachable})`);
}

/** The /v1 request of a single-key operation: get, put and delete by method, the others POSTed. */
function kvRequest(body: Record<string, unknown>): { method: string; path: string; body?: unknown } {
  const { op, key, ...rest } = body;
  const path = `/v1/kv/${encodeURIComponent(String(key))}`;
  if (op === "get") return { method: "GET", path };
  if (op === "delete") return { method: "DELETE", path };
  if (op === "put") return { method: "PUT", path, body: { value: rest.value } };
  return { method: "POST", path, body: { op, ...rest } };
}

/** Sends the operation to the first node that answers; an answer with an error is final. */
async function run(flags: Flags, body: Record<string, unknown>): Promise<void> {
  const request = kvRequest(body);
  const { ok, answer } = await requestCluster(flags, request.method, request.path, request.body);
  if (flags.json === true) process.stdout.write(`${toJsonLine(answer)}\n`);
  else if (ok) process.stdout.write(`${describe(String(body.op), answer)}\n`);
  if (!ok) {
    if (flags.json !== true) process.stderr.write(`selfman: ${String(answer.message ?? answer.error)}\n`);
    process.exitCode = 1;
  }
}

function describe(op: string, answer: Record<string, unknown>): string {
  const value = JSON.stringify(answer.value);
  if (op === "get") return answer.found === true ? value : "(not found)";
  if (op === "cas" && answer.applied !== true)
    return `not swapped: the value is ${answer.found === true ? value : "absent"}`;
  if (op === "delete") return `deleted (version ${answer.version})`;
  return `${value} (version ${answer.version})`;
}

function command(
  program: Command,
  spec: string,
  description: string,
  body: (...args: string[]) => Record<string, unknown>,
): void {
  program
    .command(spec)
    .description(description)
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--admin <host:port>",
      "the node to ask instead of the cluster's",
      commanderParser(parseAddressList("admin")),
    )
    .option("--json", "print the answer as one JSON line")
    .action(async (...args: unknown[]) => {
      const flags = args.find((a) => typeof a === "object" && a !== null && !Array.isArray(a)) as Flags;
      const positional = args.filter((a): a is string => typeof a === "string");
      await run(flags, body(...positional));
    });
}

export function addKvCommands(program: Command): void {
  command(program, "get <key>", "read a key", (key) => ({ op: "get", key }));
  command(program, "put <key> <value>", "write a key (VALUE: JSON, or text)", (key, value) => ({
    op: "put",
    key,
    value: parseValue(value as string),
  }));
  command(program, "delete <key>", "delete a key (a versioned tombstone)", (key) => ({ op: "delete", key }));
  command(
    program,
    "cas <key> <expected> <value>",
    "write VALUE only if the key holds EXPECTED (null: absent)",
    (key, expected, value) => ({
      op: "cas",
      key,
      expected: parseValue(expected as string),
      value: parseValue(value as string),
    }),
  );
  command(
    program,
    "incr <key> [by]",
    "add BY (default 1) to a numeric key (absent counts as 0)",
    (key, by) => ({
      op: "incr",
      key,
      by: by === undefined ? 1 : Number(by),
    }),
  );
  command(program, "append <key> <value>", "append VALUE to a list key", (key, value) => ({
    op: "append",
    key,
    value: parseValue(value as string),
  }));
  command(program, "remove <key> <value>", "remove VALUE from a list key", (key, value) => ({
    op: "remove",
    key,
    value: parseValue(value as string),
  }));
}
