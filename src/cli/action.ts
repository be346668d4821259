import type { Command } from "commander";
import { resolveConfig, type CommandLineValues } from "../config/resolve";
import { InputError, type FieldNamer } from "../input/fields";
import { CommandContext } from "./context";

/**
 * Wraps a command handler: resolves the configuration once from the global options, gives the
 * handler a context, and closes database and connection whatever happens. A service's InputError
 * names a field of its request; it is printed with the command's flag for that field: the option
 * whose property is the field (`checkpointId` is `--checkpoint-id`), or `flags[field]` where the
 * command names it otherwise (distribute-multiple gives the token as `--address`).
 */
export function action<Options>(
  handler: (ctx: CommandContext, options: Options, command: Command) => Promise<void> | void,
  flags: Readonly<Record<string, string>> = {},
) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const options = command.opts() as Options;
    const names = flagNames(command, flags);
    try {
      const ctx = new CommandContext(resolveConfig(globalValues(command)));
      ctx.out.fieldNames = names;
      try {
        await handler(ctx, options, command);
      } finally {
        await ctx.close();
      }
    } catch (error) {
      throw error instanceof InputError ? error.renamed(names) : error;
    }
  };
}

/** The flag of each field: the command's option (or a global one) whose property it is. */
export function flagNames(command: Command, flags: Readonly<Record<string, string>> = {}): FieldNamer {
  return (field) => {
    const given = flags[field];
    if (given !== undefined) return given;
    for (let current: Command | null = command; current; current = current.parent) {
      const option = current.options.find((candidate) => candidate.attributeName() === field);
      // An alias typed instead of the option (tokenAddressOption) is what the user reads.
      const source = current.getOptionValueSource(field);
      if (option && source?.startsWith("cli:--")) return source.slice("cli:".length);
      if (option?.long) return option.long;
    }
    return field;
  };
}

/** The global option values given on the command line, from the root program. */
export function globalValues(command: Command): CommandLineValues {
  let root = command;
  while (root.parent) root = root.parent;
  const values = { ...(root.opts() as CommandLineValues) };
  if (values.config === undefined && values.configFile !== undefined) values.config = values.configFile;
  delete values.configFile;
  return values;
}
