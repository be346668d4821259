import type { DistributionResult } from "../distribution";
import { formatTokenAmount } from "../token/amounts";
import type { Output } from "./output";
import { printTransactions } from "./tx-table";

/** Transactions listed in the table; a large distribution shows its first ones only. */
const MAX_TABLE_ROWS = 100;

/** The result of distribute-multiple and distribute-single, as the manual shows it. */
export function printDistribution(out: Output, network: string, result: DistributionResult): void {
  for (const warning of result.warnings) out.warn(warning);
  out.result(
    `Distribution created ${result.prepared.length} new transactions and there was already ${result.oldTransactions} old transactions in the database`,
  );
  const retried = result.retriedRows > 0 ? ` (${result.retriedRows} of them again after a failed transaction)` : "";
  out.info(`Rows: ${result.newRows} new${retried}, ${result.alreadyPreparedRows} already prepared`);
  if (result.prepared.length > 0) {
    out.info(`Prepared transactions for broadcasting for network ${network}: ${formatTokenAmount(result.newAmount, result.decimals)} shares in total`);
  }
  const summary = {
    tokenAddress: result.tokenAddress,
    newTransactions: result.prepared.length,
    oldTransactions: result.oldTransactions,
    newRows: result.newRows,
    retriedRows: result.retriedRows,
    alreadyPreparedRows: result.alreadyPreparedRows,
    newAmount: formatTokenAmount(result.newAmount, result.decimals),
  };
  if (result.prepared.length === 0) {
    out.data({ ...summary, transactions: [] });
    return;
  }
  const prepared = result.prepared;
  if (out.json || prepared.length <= MAX_TABLE_ROWS) {
    printTransactions(out, prepared, summary);
  } else {
    // Nobody reads 10,000 table rows, and cli-table3 lays tables out in quadratic time (10 s there).
    printTransactions(out, prepared.slice(0, MAX_TABLE_ROWS), summary);
    const last = prepared[prepared.length - 1];
    out.info(
      `... and ${prepared.length - MAX_TABLE_ROWS} more, up to nonce ${last.nonce} (all of them: sto tx-last --limit ${prepared.length}, or --json)`,
    );
  }
  out.info("Broadcast them with: sto tx-broadcast");
}
