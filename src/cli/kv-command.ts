// `selfman get|put|delete|cas|incr|append|remove KEY [...]`: single-key operations against the live
// cluster, linearizable (docs/register.md §2, §3), through the client library (docs/client.md §2, §4). A
// VALUE is JSON when it parses as JSON, otherwise the text itself: `put name Alice` stores "Alice".
import type { Command } from "commander";
import { fromWire, toWire, type Value } from "../client/client-value.js";
import type { Client } from "../client/index.js";
import { type Json, parseJson } from "../wire/lossless-json.js";
import type { ClusterFlags } from "./admin-request.js";
import { printAnswer, printFailure, valueText, withClusterClient } from "./cluster-client.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser, parseAddressList } from "./flags.js";

/** JSON (kept exact: big integers, {"$base64": …} as bytes), or else the text itself. */
export function parseValue(raw: string): Value {
  try {
    return fromWire(parseJson(raw));
  } catch {
    return raw;
  }
}

/** An incr's BY: an integer beyond the safe range stays exact. */
function parseBy(raw: string | undefined): number | bigint {
  if (raw === undefined) return 1;
  const n = Number(raw);
  return /^-?\d+$/.test(raw.trim()) && !Number.isSafeInteger(n) ? BigInt(raw.trim()) : n;
}

/** What an operation answered: the node's answer as JSON, and the line a person reads. */
interface Outcome {
  readonly answer: Json;
  readonly human: string;
}

type Operation = (db: Client, args: readonly string[]) => Promise<Outcome>;

const get: Operation = async (db, [key = ""]) => {
  const r = await db.get(key);
  return {
    answer: { key, found: r.found, value: toWire(r.value), version: r.version },
    human: r.found ? valueText(r.value) : "(not found)",
  };
};

const put: Operation = async (db, [key = "", raw = ""]) => {
  const value = parseValue(raw);
  const r = await db.put(key, value);
  return { answer: { key, version: r.version }, human: `${valueText(value)} (version ${r.version})` };
};

const del: Operation = async (db, [key = ""]) => {
  const r = await db.delete(key);
  return { answer: { key, version: r.version }, human: `deleted (version ${r.version})` };
};

/** cas, incr, append and remove: the value after (for a cas that did not swap, the value found). */
function update(
  run: (db: Client, key: string, args: readonly string[]) => ReturnType<Client["incr"]>,
): Operation {
  return async (db, [key = "", ...args]) => {
    const r = await run(db, key, args);
    const answer = { key, applied: r.applied, found: r.found, value: toWire(r.value), version: r.version };
    if (!r.applied) {
      return { answer, human: `not swapped: the value is ${r.found ? valueText(r.value) : "absent"}` };
    }
    return { answer, human: `${valueText(r.value)} (version ${r.version})` };
  };
}

async function run(flags: ClusterFlags, operation: Operation, args: readonly string[]): Promise<void> {
  try {
    const { answer, human } = await withClusterClient(flags, (db) => operation(db, args));
    printAnswer(flags, answer, () => human);
  } catch (error) {
    printFailure(flags, error);
  }
}

function command(program: Command, spec: string, description: string, operation: Operation): void {
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
      const flags = args.find(
        (a) => typeof a === "object" && a !== null && !Array.isArray(a),
      ) as ClusterFlags;
      const positional = args.filter((a): a is string => typeof a === "string");
      await run(flags, operation, positional);
    });
}

export function addKvCommands(program: Command): void {
  command(program, "get <key>", "read a key", get);
  command(program, "put <key> <value>", "write a key (VALUE: JSON, or text)", put);
  command(program, "delete <key>", "delete a key (a versioned tombstone)", del);
  command(
    program,
    "cas <key> <expected> <value>",
    "write VALUE only if the key holds EXPECTED (null: absent)",
    update((db, key, [expected = "", value = ""]) => db.cas(key, parseValue(expected), parseValue(value))),
  );
  command(
    program,
    "incr <key> [by]",
    "add BY (default 1) to a numeric key (absent counts as 0)",
    update((db, key, [by]) => db.incr(key, parseBy(by))),
  );
  command(
    program,
    "append <key> <value>",
    "append VALUE to a list key",
    update((db, key, [value = ""]) => db.append(key, parseValue(value))),
  );
  command(
    program,
    "remove <key> <value>",
    "remove VALUE from a list key",
    update((db, key, [value = ""]) => db.remove(key, parseValue(value))),
  );
}
