import type { Command } from "commander";
import { resolveConfig, type CommandLineValues } from "../config/resolve";
import { CommandContext } from "./context";

/**
 * Wraps a command handler: resolves the configuration once from the global options, gives the
 * handler a context, and closes database and connection whatever happens.
 */
export function action<Options>(handler: (ctx: CommandContext, options: Options, command: Command) => Promise<void> | void) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const options = command.opts() as Options;
    const ctx = new CommandContext(resolveConfig(globalValues(command)));
    try {
      await handler(ctx, options, command);
    } finally {
      ctx.close();
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
