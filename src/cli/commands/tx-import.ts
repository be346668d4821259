import type { Command } from "commander";
import { importSignedFile } from "../../offline/exchange";
import { parseSignedFile } from "../../offline/files";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";
import { readInputText } from "../../files";

export function register(program: Command): void {
  program
    .command("tx-import")
    .description(
      "Record transactions signed offline by tx-sign, after checking each is exactly the transaction prepared (chain id, signer, nonce, receiver, data, value, gas). Then send them with tx-broadcast.",
    )
    .requiredOption("--input <file>", "signed transactions from tx-sign")
    .action(
      action(async (ctx, options: { input: string }) => {
        const text = readInputText(options.input, "transaction file", `--input ${options.input}`);
        const file = parseSignedFile(text, options.input);
        const env = await txEnvironment(ctx);
        const report = await importSignedFile(env, file, options.input);
        ctx.out.info(`Imported ${report.imported.length} signed transactions${report.unchanged ? ` (${report.unchanged} already imported)` : ""}; send them with sto tx-broadcast`);
        printTransactions(ctx.out, report.imported, { unchanged: report.unchanged });
      }),
    );
}
