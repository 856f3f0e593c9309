// The `selfman` command line (commander). Subcommands live in files of their own; this file wires
// them and turns thrown errors into one clear line on stderr and a non-zero exit.
import { Command, CommanderError } from "commander";
import { addBenchCommand } from "./bench-command.js";
import { addClusterCommand } from "./cluster-command.js";
import { addKvCommands } from "./kv-command.js";
import { addMergeCommand } from "./merge-command.js";
import { addNodeCommand } from "./node-command.js";
import { addRingCommands } from "./ring-command.js";
import { addSimCommand } from "./sim-command.js";
import { addStartCommand } from "./start-command.js";
import { addTxCommand } from "./tx-command.js";

export function buildProgram(): Command {
  const program = new Command("selfman")
    .description("A self-managing distributed system: relaxed-ring overlay, replicated storage, transactions")
    .showHelpAfterError()
    .exitOverride();
  addStartCommand(program);
  addNodeCommand(program);
  addClusterCommand(program);
  addRingCommands(program);
  addMergeCommand(program);
  addKvCommands(program);
  addTxCommand(program);
  addSimCommand(program);
  addBenchCommand(program);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`selfman: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv);
