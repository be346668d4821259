import { Option, type Command } from "commander";

/**
 * --token-address on a command where the manual spells it otherwise (`token-status --address`,
 * `distribute-multiple --address`): one spelling works on every command, and the manual's commands
 * still run as written. The alias is hidden in help and named in the option's description; giving
 * both with different values is refused. The value lands in the `tokenAddress` property.
 */
export function tokenAddressOption(command: Command, alias: string): Command {
  // Required, but checked below rather than by commander, which would refuse the alias alone.
  const mainOption = new Option("--token-address <address>", `token contract address (also --${alias}, the manual's spelling) [required]`);
  const aliasOption = new Option(`--${alias} <address>`).hideHelp();
  return command
    .addOption(mainOption)
    .addOption(aliasOption)
    .hook("preAction", (thisCommand) => {
      const given = thisCommand.getOptionValue("tokenAddress") as string | undefined;
      const aliased = thisCommand.getOptionValue(aliasOption.attributeName()) as string | undefined;
      if (given !== undefined && aliased !== undefined && given !== aliased) {
        thisCommand.error(`error: give the token once: --token-address ${given} and --${alias} ${aliased} differ`, { code: "commander.conflictingOption" });
      }
      if (given === undefined && aliased === undefined) {
        thisCommand.error("error: required option '--token-address <address>' not specified", { code: "commander.missingMandatoryOptionValue" });
      }
      // The source names the flag typed, so that errors about the field name it (flagNames).
      if (given === undefined) thisCommand.setOptionValueWithSource("tokenAddress", aliased, `cli:--${alias}`);
    });
}
