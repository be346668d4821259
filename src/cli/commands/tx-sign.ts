import fs from "node:fs";
import type { Command } from "commander";
import { StoError } from "../../errors";
import { parseUnsignedFile, signUnsignedFile } from "../../offline/files";
import { action } from "../action";
import { readInputText, writeOutputFile } from "../../files";

export function register(program: Command): void {
  program
    .command("tx-sign")
    .description(
      "Sign a file written by tx-export, with no node and no database: for an offline machine that holds the key. Write the signed file for tx-import on the networked machine.",
    )
    .requiredOption("--input <file>", "unsigned transactions from tx-export")
    .requiredOption("--output <file>", "signed transactions for tx-import")
    .option("--force", "overwrite the output file")
    .action(
      action(async (ctx, options: { input: string; output: string; force?: boolean }) => {
        const text = readInputText(options.input, "transaction file", `--input ${options.input}`);
        if (fs.existsSync(options.output) && !options.force) throw new StoError(`--output ${options.output}: the file exists (use --force to overwrite)`);
        const unsigned = parseUnsignedFile(text, options.input);
        // Deliberately no ctx.chain() and no ctx.db(): this runs where there is no network.
        const signer = await ctx.signer();
        const signed = signUnsignedFile(unsigned, signer.wallet);
        writeOutputFile(options.output, `${JSON.stringify(signed, null, 2)}\n`);
        ctx.out.result(`Signed ${signed.transactions.length} transactions of ${signed.from} for chain id ${signed.chainId} into ${options.output}`);
        for (const entry of signed.transactions) ctx.out.info(`  nonce ${entry.nonce}  ${entry.hash}  ${entry.note}`);
        ctx.out.data({ output: options.output, from: signed.from, chainId: signed.chainId, transactions: signed.transactions.map(({ id, nonce, hash, note }) => ({ id, nonce, hash, note })) });
      }),
    );
}
