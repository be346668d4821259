import type { Command } from "commander";
import { STO_VERSION } from "../../version";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("version")
    .description("Print version number and exit.")
    .action(
      action((ctx) => {
        ctx.out.result(STO_VERSION);
        ctx.out.data({ version: STO_VERSION });
      }),
    );
}
