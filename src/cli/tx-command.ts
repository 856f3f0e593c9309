// `selfman tx --ops FILE.json`: a request list (read, write, add_on_nr, add_del_on_list, test_and_set,
// commit; FILE a JSON array or {"ops": [...]}, "-" for stdin) checked here, then run in one transaction
// through the client library (docs/transactions.md §1, docs/client.md §3): a typo is named before sending.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { fromWire, toWire } from "../client/client-value.js";
import type { TxOp, TxOpResult, TxOutcome } from "../client/index.js";
import { validate } from "../core/schema.js";
import { requestListProblem, requestListSchema, type TxRequest } from "../tx/request-list.js";
import type { Json } from "../wire/lossless-json.js";
import type { ClusterFlags } from "./admin-request.js";
import { printAnswer, printFailure, valueText, withClusterClient } from "./cluster-client.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser, parseAddressList } from "./flags.js";

interface TxFlags extends ClusterFlags {
  ops: string;
}

async function readOps(path: string): Promise<TxRequest[]> {
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`--ops ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`--ops ${path}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const ops = Array.isArray(parsed) ? parsed : (parsed as { ops?: unknown } | null)?.ops;
  if (!Array.isArray(ops))
    throw new Error(`--ops ${path}: expected a JSON array of requests, or {"ops": [...]}`);
  const checked = validate(requestListSchema(), ops, "ops");
  const problem = requestListProblem(checked);
  if (problem !== null) throw new Error(`--ops ${path}: ${problem}`);
  return checked;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A checked request as the client library's op (commit is not one: it is the call's flag). */
function toOp(request: Exclude<TxRequest, { op: "commit" }>): TxOp {
  const value = (v: unknown) => fromWire(v as Json);
  switch (request.op) {
    case "read":
    case "delete":
      return { op: request.op, key: request.key };
    case "write":
      return { op: "write", key: request.key, value: value(request.value) };
    case "add_on_nr":
      return { op: "add_on_nr", key: request.key, by: request.by };
    case "add_del_on_list":
      return {
        op: "add_del_on_list",
        key: request.key,
        add: request.add.map(value),
        del: request.del.map(value),
      };
    case "test_and_set":
      return { op: "test_and_set", key: request.key, old: value(request.old), new: value(request.new) };
  }
}

function resultJson(r: TxOpResult): Json {
  return r.ok
    ? { ok: true, value: toWire(r.value), found: r.found }
    : { ok: false, reason: r.reason, value: toWire(r.value) };
}

function describe(outcome: TxOutcome): string {
  const lines = outcome.results.map(
    (r, i) => `  ${i}: ${r.ok ? valueText(r.value) : `failed (${r.reason}: ${valueText(r.value)})`}`,
  );
  const head = outcome.committed ? `committed (${outcome.attempts} attempt(s))` : "ran without a commit";
  return [head, ...lines].join("\n");
}

export function addTxCommand(program: Command): void {
  program
    .command("tx")
    .description(
      "run a request list (read, write, add_on_nr, add_del_on_list, test_and_set, commit) in one transaction",
    )
    .requiredOption(
      "--ops <file>",
      'JSON file with the requests (a JSON array, or {"ops": [...]}; - for stdin)',
    )
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--admin <host:port>",
      "the node to ask instead of the cluster's",
      commanderParser(parseAddressList("admin")),
    )
    .option("--json", "print the answer as one JSON line")
    .action(async (flags: TxFlags) => {
      const ops = await readOps(flags.ops);
      // the API takes the commit as a flag: a list ending in commit commits, one without only runs
      const commit = ops.at(-1)?.op === "commit";
      const requests = ops.filter((op): op is Exclude<TxRequest, { op: "commit" }> => op.op !== "commit");
      try {
        const outcome = await withClusterClient(flags, (db) =>
          db.requestList(requests.map(toOp), { commit }),
        );
        const answer = {
          committed: outcome.committed,
          attempts: outcome.attempts,
          results: outcome.results.map(resultJson),
        };
        printAnswer(flags, answer, () => describe(outcome));
      } catch (error) {
        printFailure(flags, error);
      }
    });
}
