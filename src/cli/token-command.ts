// `selfman token create|revoke` (docs/api.md §6): bearer tokens for the API. With --auth-file the
// token is made here and its hash appended to that file (the bootstrap: a cluster's first admin
// token, before any node runs); without, it is created through the cluster (POST /v1/tokens, which
// needs an admin token in SELFMAN_TOKEN) and stored hashed in selfman. The token is printed once.
import type { Command } from "commander";
import { appendToAuthFile, newToken, parseScopes } from "../api/api-tokens.js";
import { type ClusterFlags, requestCluster } from "./admin-request.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { commanderParser, parseAddressList } from "./flags.js";

interface CreateFlags extends ClusterFlags {
  scope: string;
  name: string;
  authFile?: string;
}

async function create(flags: CreateFlags): Promise<void> {
  const scopes = parseScopes(flags.scope);
  if (flags.authFile !== undefined) {
    const { token, record } = newToken(scopes, flags.name);
    appendToAuthFile(flags.authFile, record);
    process.stderr.write(`selfman: token ${record.id} (${scopes.join(",")}) added to ${flags.authFile}\n`);
    process.stdout.write(`${token}\n`);
    return;
  }
  const { ok, answer } = await requestCluster(flags, "POST", "/v1/tokens", { scopes, name: flags.name });
  if (!ok) throw new Error(String(answer.message ?? answer.error));
  process.stderr.write(`selfman: token ${String(answer.id)} (${scopes.join(",")}) stored in the cluster\n`);
  process.stdout.write(`${String(answer.token)}\n`);
}

export function addTokenCommand(program: Command): void {
  const token = program.command("token").description("bearer tokens for the API (scopes read, write, admin)");
  const target = (c: Command) =>
    c
      .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
      .option("--admin <host:port>", "the node to ask", commanderParser(parseAddressList("admin")));
  target(
    token
      .command("create")
      .description(
        "create a token and print it (once); SELFMAN_TOKEN must hold an admin token unless --auth-file",
      )
      .requiredOption("--scope <scopes>", "read, write or admin (comma-separated)")
      .option("--name <name>", "what the token is for", "")
      .option("--auth-file <file>", "make the token here and add its hash to FILE (a cluster's first token)"),
  ).action(create);
  target(token.command("revoke <id>").description("revoke a token by its id")).action(
    async (id: string, flags: ClusterFlags) => {
      const { ok, answer } = await requestCluster(flags, "DELETE", `/v1/tokens/${encodeURIComponent(id)}`);
      if (!ok) throw new Error(String(answer.message ?? answer.error));
      process.stderr.write(`selfman: token ${id} revoked\n`);
    },
  );
}
