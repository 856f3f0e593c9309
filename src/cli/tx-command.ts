// `selfman tx --ops FILE.json`: a request list (Scalaris `req_list`: read, write, add_on_nr, add_del_on_list,
// test_and_set, commit) run in one transaction on the live cluster, retried on conflict
// (docs/transactions.md §1). FILE holds a JSON array of requests, or {"ops": [...]}; "-" reads stdin. The
// list is checked here first, so a typo is named with its path before anything is sent.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { validate } from "../core/schema.js";
import { requestListProblem, requestListSchema, type TxRequest } from "../tx/request-list.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser, parseAddressList } from "./flags.js";
import { type ClusterFlags, requestCluster } from "./kv-command.js";
import { toJsonLine } from "./sim-command.js";

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

function describe(answer: Record<string, unknown>): string {
  const results = (answer.results ?? []) as Record<string, unknown>[];
  const lines = results.map(
    (r, i) =>
      `  ${i}: ${r.ok === true ? JSON.stringify(r.value ?? null) : `failed (${String(r.reason)}: ${JSON.stringify(r.value)})`}`,
  );
  const head =
    answer.committed === true
      ? `committed (${String(answer.attempts ?? 1)} attempt(s))`
      : "ran without a commit";
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
      const requests = commit ? ops.slice(0, -1) : ops;
      const { ok, answer } = await requestCluster(flags, "POST", "/v1/tx", { ops: requests, commit });
      if (flags.json === true) process.stdout.write(`${toJsonLine(answer)}\n`);
      else if (ok) process.stdout.write(`${describe(answer)}\n`);
      if (!ok) {
        if (flags.json !== true) process.stderr.write(`selfman: ${String(answer.message ?? answer.error)}\n`);
        process.exitCode = 1;
      }
    });
}
