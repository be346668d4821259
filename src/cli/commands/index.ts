import type { Command } from "commander";
import { register as ethereumCreateAccount } from "./ethereum-create-account";
import { register as node } from "./node";
import { register as reference } from "./reference";
import { register as version } from "./version";

/** Every command of the CLI; a command is one file in this folder and one line here. */
export const COMMANDS: ((program: Command) => void)[] = [ethereumCreateAccount, node, reference, version];
