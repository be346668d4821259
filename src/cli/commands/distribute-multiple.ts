import type { Command } from "commander";
import { DISTRIBUTION_BATCH_SIZES, prepareDistribution, readDistributionCsv } from "../../distribution";
import { parseCount } from "../../input/numbers";
import { action } from "../action";
import { tokenAddressOption } from "../token-address-option";
import { printDistribution } from "../distribution-output";
import { countedProgress } from "../progress";
import { txEnvironment } from "../tx-env";

interface DistributeMultipleOptions {
  csvInput: string;
  tokenAddress: string;
  batchSize?: string;
}

export function register(program: Command): void {
  const command = program
    .command("distribute-multiple")
    .description(
      "Distribute shares to multiple shareholders whose address info is read from a file.\n\nThe CSV file has the columns external_id,email,name,address,amount (docs/distribution.md), and optionally locked_until: a lock-up release time per row (ISO 8601 date or date-time, or unix seconds, in the future; blank = none); rows with one are sent with transferWithLockup (batchTransferWithLockup with --batch-size) and cannot leave the receiver before it, at most 16 unreleased lock-ups per holder. Every row is checked first (addresses, amounts against the token's decimals, unique external_ids, the sender's balance, KYC whitelisting of a restricted token, the token's compliance rules, the token itself as receiver); one bad row prepares nothing. A receiver that is a contract is accepted with a warning (it may not be able to move the shares). Prepares one transfer per row, or one batchTransfer per --batch-size rows; broadcast them with tx-broadcast. Safe to re-run: an external_id prepared before is skipped, never paid twice.",
    )
    .requiredOption("--csv-input <file>", "CSV file for entities receiving tokens");
  tokenAddressOption(command, "address")
    .option("--batch-size <receivers>", "pay this many receivers per batchTransfer transaction (less gas per receiver)")
    .action(
      action(async (ctx, options: DistributeMultipleOptions) => {
        const batchSize = options.batchSize === undefined ? undefined : parseCount(options.batchSize, "--batch-size", DISTRIBUTION_BATCH_SIZES);
        const rows = readDistributionCsv(options.csvInput);
        const env = await txEnvironment(ctx);
        const progress = countedProgress(ctx.out);
        const result = await prepareDistribution(env, {
          tokenAddress: options.tokenAddress,
          rows,
          origin: { kind: "csv", file: options.csvInput },
          batchSize,
          onProgress: progress?.listener,
        }).finally(() => progress?.clear());
        await printDistribution(ctx.out, env.db, env.network, result);
      }),
    );
}
