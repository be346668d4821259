import type { Command } from "commander";
import { resolveConfig, type CommandLineValues } from "../config/resolve";
import { StoError } from "../errors";
import { flagNames } from "./flag-names";

export { flagNames };
import { CommandContext } from "./context";

/**
 * Wraps a command handler: resolves the configuration once from the global options, gives the
 * handler a context, and closes database and connection whatever happens. A service's InputError
 * names a field of its request; it is printed with the command's flag for that field: the option
 * whose property is the field (`checkpointId` is `--checkpoint-id`), or `flags[field]` where the
 * command names it otherwise (distribute-multiple gives the token as `--address`). Any StoError
 * that names settings or other commands' options is printed with their flags the same way.
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
      const ctx = new CommandContext(resolveConfig(globalValues(command)), names);
      try {
        await handler(ctx, options, command);
      } finally {
        await ctx.close();
      }
    } catch (error) {
      throw error instanceof StoError ? error.renamed(names) : error;
    }
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
