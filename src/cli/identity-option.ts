import type { Command } from "commander";
import { readIdentityFile } from "../captable/identity-file";

/** The option that names holders by a CSV file of identities, as cap-table reads it. */
export function identityFileOption(command: Command): Command {
  return command.option("--identity-file <path>", "CSV file of real-world identities (columns name,address) to name holders by");
}

/** A holder's name from the identity file, or null; undefined as a whole when no file was given. */
export type NameOf = (address: string) => string | null;

export function identityNames(file: string | undefined): NameOf | undefined {
  if (file === undefined) return undefined;
  const identities = readIdentityFile(file);
  return (address) => identities.get(address.toLowerCase())?.name ?? null;
}
