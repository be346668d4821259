import fs from "node:fs";
import type { Command } from "commander";
import { parseUnits } from "ethers";
import { StoError } from "../../errors";
import { writeOutputFile } from "../../files";
import { buildUnsignedFile, unsignedTransactions } from "../../offline/exchange";
import { buildSafeBatch } from "../../offline/safe";
import { currentFees } from "../../tx/broadcast";
import { ledgerOf } from "../../tx/ledger";
import { nowIso } from "../../db/database";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printTransactions } from "../tx-table";
import { counted } from "../../input/words";

interface ExportOptions {
  output: string;
  format: string;
  maxFeeGwei?: string;
  priorityFeeGwei?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command("tx-export")
    .description(
      "Write the waiting, unsigned transactions to a file for signing elsewhere.\n\n--format sto (default): for \"sto tx-sign\" on an offline machine; EIP-1559 fees are fixed now (from the node, or --max-fee-gwei/--priority-fee-gwei). Then \"sto tx-import\" the signed file and \"sto tx-broadcast\".\n--format safe: a Safe{Wallet} Transaction Builder batch (JSON) of the waiting calls of a Safe account (prepare with --ethereum-account-address=<Safe>); the exported rows are marked exported.",
    )
    .requiredOption("--output <file>", "file to write")
    .option("--format <format>", "sto or safe", "sto")
    .option("--max-fee-gwei <gwei>", "EIP-1559 max fee per gas (default: 2 x base fee + priority fee)")
    .option("--priority-fee-gwei <gwei>", "EIP-1559 priority fee per gas (default: the node's suggestion)")
    .option("--force", "overwrite the output file")
    .action(
      action(async (ctx, options: ExportOptions) => {
        if (options.format !== "sto" && options.format !== "safe") throw new StoError(`--format: "${options.format}" must be sto or safe`);
        if (fs.existsSync(options.output) && !options.force) throw new StoError(`--output ${options.output}: the file exists (use --force to overwrite)`);
        const env = await txEnvironment(ctx);
        const rows = await unsignedTransactions(env);
        if (rows.length === 0) throw new StoError(`no waiting, unsigned transactions of ${env.address} on ${env.network} to export`);
        let document: unknown;
        if (options.format === "safe") {
          document = buildSafeBatch(rows, env.chainId, env.address, env.artifacts, `sto batch ${nowIso()}`);
        } else {
          const node = await currentFees(env, rows);
          const maxFee = options.maxFeeGwei ? parseGweiOption(options.maxFeeGwei, "--max-fee-gwei") : node.maxFeePerGas;
          const priority = options.priorityFeeGwei ? parseGweiOption(options.priorityFeeGwei, "--priority-fee-gwei") : node.maxPriorityFeePerGas;
          document = buildUnsignedFile(env, rows, { maxFeePerGas: maxFee ?? 0n, maxPriorityFeePerGas: priority ?? 0n });
        }
        writeOutputFile(options.output, `${JSON.stringify(document, null, 2)}\n`, `--output ${options.output}`);
        if (options.format === "safe") {
          await ledgerOf(env.db).markExported(rows.map((row) => row.id));
        }
        ctx.out.info(`Exported ${counted(rows.length, "transaction")} of ${env.address} to ${options.output} (${options.format} format)`);
        printTransactions(ctx.out, rows, { output: options.output, format: options.format });
      }),
    );
}

function parseGweiOption(value: string, origin: string): bigint {
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(value)) throw new StoError(`${origin}: "${value.slice(0, 30)}" is not an amount of gwei`);
  return parseUnits(value, "gwei");
}
