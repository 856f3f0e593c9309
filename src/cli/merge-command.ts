// `selfman merge --contact HOST:PORT`: ring merge's external kick-start (docs/ring-merge.md §2). After
// a partition healed, or to join two rings that grew apart, tell one node of this cluster about a node
// of the other ring; the rings then zip themselves together (docs/ring-merge.md §3, §4). A contact in
// the same ring ends the attempt within a few messages, so asking is always safe.
import type { Command } from "commander";
import { type ClusterFlags, requestCluster } from "./admin-request.js";
import { DEFAULT_DIR } from "./cluster-command.js";
import { type Address, commanderParser, formatAddress, parseAddress, parseAddressList } from "./flags.js";
import { toJsonLine } from "./sim-command.js";

interface MergeFlags extends ClusterFlags {
  contact: Address;
}

export function addMergeCommand(program: Command): void {
  program
    .command("merge")
    .description(
      "kick-start a ring merge: tell a node of this cluster about a node that may be in another ring",
    )
    .requiredOption(
      "--contact <host:port>",
      "a node of the other ring (its listen address)",
      commanderParser(parseAddress("contact")),
    )
    .option("--dir <dir>", "cluster directory", DEFAULT_DIR)
    .option(
      "--admin <host:port>",
      "the node to ask instead of the cluster's",
      commanderParser(parseAddressList("admin")),
    )
    .option("--json", "print the answer as one JSON line")
    .action(async (flags: MergeFlags) => {
      const { ok, answer } = await requestCluster(flags, "POST", "/v1/merge", {
        contact: formatAddress(flags.contact),
      });
      if (flags.json === true) process.stdout.write(`${toJsonLine(answer)}\n`);
      else if (ok)
        process.stdout.write(
          `merge started with ${formatAddress(flags.contact)}; watch it with \`selfman ring --watch\`\n`,
        );
      if (!ok) {
        if (flags.json !== true) process.stderr.write(`selfman: ${String(answer.message ?? answer.error)}\n`);
        process.exitCode = 1;
      }
    });
}
