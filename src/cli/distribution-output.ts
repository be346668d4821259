import type { StoDatabase } from "../db/database";
import type { DistributionResult } from "../distribution";
import { formatTokenAmount } from "../input/amounts";
import { iterateRange, ledgerOf } from "../tx/ledger";
import { amountOf, counted } from "../input/words";
import { amountJson } from "./json-amounts";
import type { Output } from "./output";
import { printTransactions, transactionJson } from "./tx-table";

/** Transactions listed in the table; a large distribution shows its first ones only. */
const MAX_TABLE_ROWS = 100;

/**
 * The result of distribute-multiple and distribute-single, as the manual shows it. The transactions
 * are read back from the database a page at a time: a distribution of 100,000 rows is printed (in
 * JSON, all of them) without holding them all in memory.
 */
export async function printDistribution(out: Output, db: StoDatabase, network: string, result: DistributionResult): Promise<void> {
  const prepared = result.transactions;
  for (const warning of result.warnings) out.warn(warning);
  const retried = result.retriedRows > 0 ? `, ${result.retriedRows} of them again after a failed transaction` : "";
  // One line with each count once: transactions and rows differ only with --batch-size.
  out.result(
    `Distribution created ${counted(prepared.count, "new transaction")} for ${counted(result.newRows, "row")}${retried}; ` +
      `already in the database: ${counted(result.oldTransactions, "transaction")} for ${counted(result.alreadyPreparedRows, "row")}`,
  );
  if (prepared.count > 0) {
    out.info(`Prepared for broadcasting on network ${network}: ${amountOf(formatTokenAmount(result.newAmount, result.decimals), "share")} in total`);
  }
  const summary = {
    tokenAddress: result.tokenAddress,
    newTransactions: prepared.count,
    oldTransactions: result.oldTransactions,
    newRows: result.newRows,
    retriedRows: result.retriedRows,
    alreadyPreparedRows: result.alreadyPreparedRows,
    ...amountJson("newAmount", result.newAmount, result.decimals),
  };
  if (out.json) {
    await out.dataWithAsyncList(summary, "transactions", mapIterable(iterateRange(ledgerOf(db), prepared), transactionJson));
    return;
  }
  if (prepared.count === 0) return;
  // Nobody reads 10,000 table rows, and cli-table3 lays tables out in quadratic time (10 s there).
  printTransactions(out, await ledgerOf(db).transactionsInRange(prepared, 0, MAX_TABLE_ROWS));
  if (prepared.count > MAX_TABLE_ROWS) {
    out.info(
      `... and ${prepared.count - MAX_TABLE_ROWS} more, up to nonce ${prepared.startNonce + prepared.count - 1} (all of them: sto tx-last --limit ${prepared.count}, or --json)`,
    );
  }
  out.info("Broadcast them with: sto tx-broadcast");
}

async function* mapIterable<T, U>(items: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield map(item);
}
