import type { Command } from "commander";
import { registerFreeze } from "./freeze";

export function register(program: Command): void {
  registerFreeze(program, false);
}
