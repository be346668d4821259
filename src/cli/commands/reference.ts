import type { Command } from "commander";
import { action } from "../action";
import { renderReference } from "../reference";

export function register(program: Command): void {
  program
    .command("reference")
    .description("Print out the command line reference for the documentation (Markdown; docs/reference.md is its output).")
    .action(
      action((ctx, _options, command) => {
        const root = command.parent ?? command;
        process.stdout.write(renderReference(root));
        void ctx;
      }),
    );
}
