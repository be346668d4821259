import { Command, Option } from "commander";
import { GLOBAL_OPTIONS } from "../config/options";
import { COMMANDS } from "./commands";

export const PROGRAM_DESCRIPTION = `Security token manager: issue shares as security tokens, whitelist investors, distribute
shares, pay dividends, run votes, recover lost shares and print the cap table for any moment.

Commands that change the chain prepare annotated transactions in the local audit database;
"sto tx-broadcast" sends them and "sto tx-update" confirms them.

With no configuration, sto uses the embedded local chain (start it with "sto node").
Documentation: docs/ in the sto repository.`;

/** Builds the commander program with every global option and command. */
export function buildProgram(): Command {
  const program = new Command("sto");
  program
    .description(PROGRAM_DESCRIPTION)
    // Subcommands copy these settings when created, so set them before registering commands:
    // usage errors then reach main() (exit code 2) instead of exiting inside commander.
    .exitOverride()
    .helpOption("-h, --help", "show help")
    .configureHelp({ sortSubcommands: true, showGlobalOptions: true, helpWidth: 110 });

  for (const spec of GLOBAL_OPTIONS) {
    const flags =
      spec.kind === "boolean" && spec.commandLineOnly
        ? `--${spec.key}`
        : `--${spec.key} <${spec.valueName ?? "value"}>`;
    const option = new Option(flags, spec.description);
    program.addOption(option);
    if (spec.key === "config") {
      program.addOption(new Option("--config-file <path>", "same as --config").hideHelp());
    }
  }

  for (const register of COMMANDS) register(program);
  for (const command of program.commands) {
    if (!command.summary()) command.summary(command.description().split("\n")[0]);
  }
  return program;
}
