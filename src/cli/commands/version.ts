import type { Command } from "commander";
import { PACKAGE_ROOT } from "../../contracts/artifacts";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("version")
    .description("Print version number and exit.")
    .action(
      action((ctx) => {
        const pkg = require(`${PACKAGE_ROOT}/package.json`) as { version: string };
        ctx.out.result(pkg.version);
        ctx.out.data({ version: pkg.version });
      }),
    );
}
