import type { Command } from "commander";
import { parsePositiveInteger, truncate } from "../../config/resolve";
import { StoError } from "../../errors";
import { DEFAULT_FEE_BUMP_PERCENT, MIN_FEE_BUMP_PERCENT, describeFees } from "../../tx/fees";
import { replaceTransactions, type ReplaceReport } from "../../tx/replace";
import { action } from "../action";
import type { CommandContext } from "../context";
import { signingEnvironment } from "../tx-env";

export function register(program: Command): void {
  program
    .command("tx-bump")
    .description(
      "Re-sign stuck transactions with higher fees.\n\nReplaces a transaction that is signed but not mined with a new version of the same nonce: each fee cap raised by --fee-bump-percent over the highest earlier version (nodes require at least 10%), and at least what the network asks now. With --gas-limit, the new version also gets a corrected gas limit (for a transaction the node rejected as invalid). Every version is kept in the database; only one can ever be mined, and tx-update records which. Without --nonce, every signed transaction not yet mined is re-signed.",
    )
    .option("--nonce <nonce>", "the transaction to re-sign (default: every signed transaction not yet mined)")
    .option("--fee-bump-percent <percent>", `how much higher each fee cap is, at least ${MIN_FEE_BUMP_PERCENT}`, String(DEFAULT_FEE_BUMP_PERCENT))
    .option("--gas-limit <gas>", "a corrected gas limit for the new version (with --nonce)")
    .action(
      action(async (ctx, options: { nonce?: string; feeBumpPercent: string; gasLimit?: string }) => {
        await replaceCommand(ctx, {
          nonce: options.nonce === undefined ? undefined : parseNonce(options.nonce),
          feeBumpPercent: parsePercent(options.feeBumpPercent),
          gasLimit: options.gasLimit === undefined ? undefined : parsePositiveInteger(options.gasLimit, "--gas-limit"),
        });
      }),
    );
}

export function parseNonce(value: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw new StoError(`--nonce: "${truncate(value)}" is not a nonce (a whole number)`);
  return Number(value);
}

export function parsePercent(value: string): number {
  const percent = /^[0-9]{1,4}(\.[0-9]{1,2})?$/.test(value) ? Number(value) : NaN;
  if (!(percent >= MIN_FEE_BUMP_PERCENT && percent <= 1000)) {
    throw new StoError(`--fee-bump-percent: "${truncate(value)}" must be a number from ${MIN_FEE_BUMP_PERCENT} (the nodes' replacement rule) to 1000`);
  }
  return percent;
}

/** Shared by tx-bump and tx-cancel. */
export async function replaceCommand(ctx: CommandContext, options: Parameters<typeof replaceTransactions>[1]): Promise<void> {
  const env = await signingEnvironment(ctx);
  const report = await replaceTransactions(env, options);
  printReport(ctx, report);
}

const OUTCOME_TEXT = {
  sent: "sent",
  "older-kept": "node keeps the earlier version",
  "mined-meanwhile": "an earlier version was mined",
  "waits-for-earlier": "recorded; tx-broadcast sends it after the earlier nonces",
} as const;

function printReport(ctx: CommandContext, report: ReplaceReport): void {
  for (const row of report.alreadyMined) ctx.out.info(`Nonce ${row.nonce} ("${row.note}") is already mined: run sto tx-update to record it.`);
  if (report.replacements.length === 0) {
    ctx.out.info("No signed transaction waiting to be mined: nothing to re-sign.");
  } else {
    ctx.out.table(
      ["Nonce", "New TXID", "Replaces", "Kind", "Fees", "Gas limit", "Result", "Note"],
      report.replacements.map((entry) => [
        entry.row.nonce,
        entry.hash,
        entry.previousHash ?? "",
        entry.kind,
        describeFees(entry.fees),
        entry.gasLimit.toString(),
        OUTCOME_TEXT[entry.outcome],
        entry.row.note,
      ]),
      { alignRight: [0], droppable: [2, 5, 4] },
    );
    if (report.replacements.some((entry) => entry.outcome === "older-kept")) {
      ctx.out.warn("the node kept an earlier version of some transactions: run tx-bump again with a higher --fee-bump-percent");
    }
    ctx.out.info("Every version is recorded; run sto tx-update to see which one is mined.");
  }
  ctx.out.data({
    alreadyMined: report.alreadyMined.map((row) => ({ nonce: row.nonce, txHash: row.txHash })),
    replacements: report.replacements.map((entry) => ({
      nonce: entry.row.nonce,
      note: entry.row.note,
      txHash: entry.hash,
      replaces: entry.previousHash,
      kind: entry.kind,
      gasPrice: entry.fees.gasPrice ?? null,
      maxFeePerGas: entry.fees.maxFeePerGas ?? null,
      maxPriorityFeePerGas: entry.fees.maxPriorityFeePerGas ?? null,
      gasLimit: entry.gasLimit,
      outcome: entry.outcome,
    })),
  });
}
