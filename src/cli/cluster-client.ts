// The client library (src/client, docs/client.md) for the CLI's data commands: connected to the nodes of
// the cluster directory or `--admin`, with SELFMAN_TOKEN; and how a result or failure is printed. Must
// keep the output the commands always had: the node's answer as one JSON line with --json, exit code 1.

import { toWire, type Value } from "../client/client-value.js";
import { type Client, connect, SelfmanError } from "../client/index.js";
import { type Json, stringifyJson } from "../wire/lossless-json.js";
import { adminAddresses, type ClusterFlags } from "./admin-request.js";

/** A CLI command may wait as long for one answer as before it used the library. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Runs `work` with a client of the command's cluster, closed afterwards. */
export async function withClusterClient<T>(
  flags: ClusterFlags,
  work: (db: Client) => Promise<T>,
): Promise<T> {
  const urls = (await adminAddresses(flags)).map((admin) => `http://${admin}`);
  const token = process.env.SELFMAN_TOKEN;
  const db = connect(urls, {
    timeoutMs: REQUEST_TIMEOUT_MS,
    ...(token === undefined || token === "" ? {} : { token }),
  });
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

/** A value as the /v1 API writes it: bigints as digits, bytes as {"$base64": …}. */
export function valueText(value: Value): string {
  return stringifyJson(toWire(value));
}

/** Prints an answer: one JSON line with --json, else the human line. */
export function printAnswer(flags: ClusterFlags, answer: Json, human: () => string): void {
  process.stdout.write(`${flags.json === true ? stringifyJson(answer) : human()}\n`);
}

/**
 * Prints a failure the way a node's error answer always was — its body as the JSON line with --json, its
 * message on stderr without — and sets exit code 1. Anything that is not a SelfmanError is a bug: thrown.
 */
export function printFailure(flags: ClusterFlags, error: unknown): void {
  if (!(error instanceof SelfmanError)) throw error;
  const body: Json =
    typeof error.body === "object" && error.body !== null && !Array.isArray(error.body)
      ? error.body
      : { error: error.code, message: error.message };
  if (flags.json === true) process.stdout.write(`${stringifyJson(body)}\n`);
  else process.stderr.write(`selfman: ${error.message}\n`);
  process.exitCode = 1;
}
