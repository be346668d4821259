import { Command, Help, Option, type ParseOptionsResult } from "commander";
import { GLOBAL_OPTIONS } from "../config/options";
import { STO_VERSION } from "../version";
import { COMMANDS } from "./commands";
import { safeText } from "./output";

export const PROGRAM_DESCRIPTION = `Security token manager: issue shares as security tokens, whitelist investors, distribute
shares, pay dividends, run votes, recover lost shares and print the cap table for any moment.

Commands that change the chain prepare annotated transactions in the local audit database;
"sto tx-broadcast" sends them and "sto tx-update" confirms them.

With no configuration, sto uses the embedded local chain (start it with "sto node").
Documentation: docs/ in the sto repository.`;

/** Commands that need every other command registered (the reference documents them all). */
const NEEDS_EVERY_COMMAND = new Set(["reference"]);

/**
 * Builds the commander program with every global option and the commands: only the one `argv`
 * runs when it names one, so that a run loads only that command's modules; every command for
 * help, an unknown command and `reference`.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new StoCommand("sto");
  program
    .description(PROGRAM_DESCRIPTION)
    // Subcommands copy these settings when created, so set them before registering commands:
    // usage errors then reach main() (exit code 2) instead of exiting inside commander.
    .exitOverride()
    .helpOption("-h, --help", "show help")
    .version(STO_VERSION, "-V, --version", "print the version")
    .configureHelp({ sortSubcommands: true, helpWidth: 110, optionDescription: describeOption })
    // commander repeats unknown options and bad values in its errors: print them as data.
    .configureOutput({ outputError: (text, write) => write(safeText(text)) });

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

  const invoked = argv === undefined ? undefined : invokedCommand(argv.slice(2));
  const names =
    invoked !== undefined && Object.hasOwn(COMMANDS, invoked) && !NEEDS_EVERY_COMMAND.has(invoked) ? [invoked] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]()).register(program);
  for (const command of program.commands) {
    if (!command.summary()) command.summary(command.description().split("\n")[0]);
    // The ~20 global options are listed once, in sto --help, not repeated under every command.
    command.addHelpText("after", "\nGlobal options (--config, --network, --ethereum-node-url, --json, --quiet, --wide, …): sto --help");
  }
  return program;
}

/**
 * commander with two user-facing repairs. An unknown option is reported before a missing required
 * one (`cap-table --token=0x…` is a misspelling of --token-address, not a forgotten option), and an
 * unknown `--flag=value` is looked up without its value, so it gets a suggestion like `--flag value`.
 */
class StoCommand extends Command {
  override createCommand(name?: string): Command {
    return new StoCommand(name);
  }

  override parseOptions(argv: string[]): ParseOptionsResult {
    const parsed = super.parseOptions(argv);
    if (this.commands.length === 0) {
      const end = parsed.unknown.indexOf("--");
      const unknown = (end < 0 ? parsed.unknown : parsed.unknown.slice(0, end)).find((arg) => arg.length > 1 && arg.startsWith("-") && arg !== "-h" && arg !== "--help");
      if (unknown !== undefined) {
        const flag = unknown.startsWith("--") ? unknown.split("=")[0] : unknown;
        // commander suggests by spelling distance, which misses a name cut short (--token).
        const longer = this.visibleLongFlags().filter((candidate) => flag.startsWith("--") && candidate.startsWith(`${flag}-`));
        if (longer.length === 1) this.error(`error: unknown option '${flag}'\n(Did you mean ${longer[0]}?)`, { code: "commander.unknownOption" });
        (this as unknown as { unknownOption(flag: string): never }).unknownOption(flag);
      }
    }
    return parsed;
  }

  /** The long flags help shows for this command and its parents' global options. */
  private visibleLongFlags(): string[] {
    const flagsOf = (command: Command) => command.createHelp().visibleOptions(command).flatMap((option) => (option.long ? [option.long] : []));
    const flags = flagsOf(this);
    for (let parent = this.parent; parent; parent = parent.parent) flags.push(...flagsOf(parent));
    return flags;
  }

}

/** Marks the options a command cannot run without, which commander's help does not. */
function describeOption(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return option.mandatory ? `${text} [required]` : text;
}

/**
 * The command named on the command line: the first argument that is neither an option nor the
 * value of a global option taking one. Undefined when there is none (or after "--").
 */
export function invokedCommand(args: readonly string[]): string | undefined {
  const takesValue = new Set(GLOBAL_OPTIONS.filter((spec) => !(spec.kind === "boolean" && spec.commandLineOnly)).map((spec) => `--${spec.key}`));
  takesValue.add("--config-file");
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === "--") return undefined;
    if (arg.startsWith("-")) {
      if (takesValue.has(arg)) index++;
      continue;
    }
    return arg;
  }
  return undefined;
}
