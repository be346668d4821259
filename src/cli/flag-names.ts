import type { Command } from "commander";
import type { FieldNamer } from "../errors";

/** The flag of each field: the command's option (or a global one) whose property it is. */
export function flagNames(command: Command, flags: Readonly<Record<string, string>> = {}): FieldNamer {
  return (field) => {
    const given = flags[field];
    if (given !== undefined) return given;
    // `tx-bump:gasLimit`: an option of another command, named in advice.
    const other = /^([a-z][a-z0-9-]*):([A-Za-z0-9]+)$/.exec(field);
    if (other) {
      let root = command;
      while (root.parent) root = root.parent;
      const target = root.commands.find((candidate) => candidate.name() === other[1]);
      const option = target?.options.find((candidate) => candidate.attributeName() === other[2]);
      if (option?.long) return option.long;
      // Only the running command is registered (buildProgram loads one command's module): commander
      // derives every other option's property from its flag the same way, so the flag is its kebab-case.
      return `--${other[2].replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    }
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
