// The `selfman` command line (commander). Subcommands live in files of their own; this file wires
// them and turns thrown errors into one clear line on stderr and a non-zero exit (a usage error: that
// line, then `see selfman <command> --help`). It does not run by itself: bin/selfman, the composition
// root, calls main() with the commands that live outside src/ (the benchmarks: src never imports
// bench/, docs/architecture.md §1).
import { Command, CommanderError } from "commander";
import { addClusterCommand } from "./cluster-command.js";
import { addKvCommands } from "./kv-command.js";
import { addMergeCommand } from "./merge-command.js";
import { addNodeCommand } from "./node-command.js";
import { addRingCommands } from "./ring-command.js";
import { addSimCommand } from "./sim-command.js";
import { addStartCommand } from "./start-command.js";
import { addTokenCommand } from "./token-command.js";
import { addTxCommand } from "./tx-command.js";

/** Registers one command (and its subcommands) on the program. */
export type AddCommand = (program: Command) => void;

/** The program: src's own commands, then `extraCommands` in order. */
export function buildProgram(extraCommands: readonly AddCommand[] = []): Command {
  const program = new Command("selfman")
    .description("A self-managing distributed system: relaxed-ring overlay, replicated storage, transactions")
    .exitOverride();
  addStartCommand(program);
  addNodeCommand(program);
  addClusterCommand(program);
  addRingCommands(program);
  addMergeCommand(program);
  addKvCommands(program);
  addTxCommand(program);
  addTokenCommand(program);
  addSimCommand(program);
  for (const add of extraCommands) add(program);
  pointToHelp(program, "selfman");
  return program;
}

/**
 * A usage error (a bad flag, a missing argument, an unknown command) prints commander's one line, then
 * `see selfman <command> --help` rather than the whole usage.
 */
function pointToHelp(command: Command, path: string): void {
  command.showHelpAfterError(`see ${path} --help`);
  for (const sub of command.commands) pointToHelp(sub, `${path} ${sub.name()}`);
}

/** Runs the command line `argv` (process.argv's shape); resolves with the exit code. */
export async function main(
  argv: readonly string[],
  extraCommands: readonly AddCommand[] = [],
): Promise<number> {
  try {
    await buildProgram(extraCommands).parseAsync([...argv]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`selfman: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}
