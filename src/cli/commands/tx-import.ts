import type { Command } from "commander";
import { importSignedFile } from "../../offline/exchange";
import { parseSignedFile } from "../../offline/files";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";
import { readInputText } from "../../files";
import { counted } from "../../input/words";

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
        if (report.imported.length === 0 && !ctx.out.json) {
          ctx.out.result(`Nothing new imported: ${report.unchanged === 1 ? "the transaction was" : `all ${report.unchanged} transactions were`} imported before`);
          return;
        }
        ctx.out.info(`Imported ${counted(report.imported.length, "signed transaction")}${report.unchanged ? ` (${report.unchanged} already imported)` : ""}; send them with sto tx-broadcast`);
        printTransactions(ctx.out, report.imported, { unchanged: report.unchanged });
      }),
    );
}
