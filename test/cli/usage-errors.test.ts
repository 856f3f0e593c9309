// A usage error — a bad flag value, an unknown option, an unknown command — prints one line saying what
// was wrong (for a bad value: what was expected), then `see selfman <command> --help`, and exits 1; it
// never prints the whole usage (src/cli/main.ts, src/cli/flags.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

function selfman(...args: string[]) {
  const run = spawnSync("./bin/selfman", args, { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("selfman usage errors", () => {
  for (const { args, error, help } of [
    {
      args: ["sim", "kv", "--nodes", "abc"],
      error: /^error: option '--nodes <n>' argument 'abc' is invalid\. --nodes: expected an integer in \[1, /,
      help: "see selfman sim kv --help",
    },
    {
      args: ["node", "--listen", "nowhere"],
      error: /^error: option .*--listen: expected HOST:PORT/,
      help: "see selfman node --help",
    },
    {
      args: ["ring", "--bogus"],
      error: /^error: unknown option '--bogus'$/,
      help: "see selfman ring --help",
    },
    {
      args: ["no-such-command"],
      error: /^error: unknown command 'no-such-command'$/,
      help: "see selfman --help",
    },
  ]) {
    it(`selfman ${args.join(" ")}: one line, then where the usage is`, () => {
      const run = selfman(...args);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, "");
      const lines = run.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, run.stderr);
      assert.match(lines[0] as string, error);
      assert.equal(lines[1], help);
    });
  }
});
