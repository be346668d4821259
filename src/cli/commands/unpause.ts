import type { Command } from "commander";
import { registerPause } from "./pause";

export function register(program: Command): void {
  registerPause(program, false);
}
