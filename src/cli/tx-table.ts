import type { PreparedTransaction } from "../db/schema";
import type { FieldText } from "../errors";
import type { Output } from "./output";

const STATUS_COLOURS: Partial<Record<PreparedTransaction["status"], "green" | "red" | "yellow" | "cyan">> = {
  success: "green",
  failed: "red",
  dropped: "red",
  waiting: "yellow",
};

/** "success:9513331" as in the original's tables. */
export function statusAndBlock(row: PreparedTransaction): string {
  return row.blockNumber !== null ? `${row.status}:${row.blockNumber}` : row.status;
}

/** The transaction table of the manual: TXID, Status and block, Nonce, From, To, Note. */
export function printTransactions(out: Output, rows: PreparedTransaction[], extra: Record<string, unknown> = {}): void {
  out.table(
    ["TXID", "Status and block", "Nonce", "From", "To", "Note"],
    rows.map((row) => [row.txHash ?? "", out.colour(statusAndBlock(row), STATUS_COLOURS[row.status] ?? "cyan"), row.nonce, row.fromAddress, row.toAddress ?? "", row.note]),
    // The sender is the same account on almost every row: the first to go on a narrow terminal, then
    // the contract (the note names what the transaction does).
    { alignRight: [2], droppable: [3, 4] },
  );
  out.data({ ...extra, transactions: rows.map(transactionJson) });
}

/**
 * What a command that prepared transactions prints: the service's warnings, the network they are
 * for, their table, and the JSON (`extra` and the transactions).
 */
export function printPrepared(
  out: Output,
  network: string,
  prepared: PreparedTransaction[],
  extra: Record<string, unknown> = {},
  warnings: readonly FieldText[] = [],
): void {
  for (const warning of warnings) out.warn(warning);
  out.info(`Prepared transactions for broadcasting for network ${network}`);
  printTransactions(out, prepared, extra);
}

/** The documented JSON shape of a transaction (docs/commands.md). */
export function transactionJson(row: PreparedTransaction): Record<string, unknown> {
  return {
    id: row.id,
    txHash: row.txHash,
    status: row.status,
    blockNumber: row.blockNumber,
    blockHash: row.blockHash,
    nonce: row.nonce,
    from: row.fromAddress,
    to: row.toAddress,
    note: row.note,
    externalId: row.externalId,
    contractName: row.contractName,
    functionSignature: row.functionSignature,
    isDeployment: row.isDeployment,
    contractAddress: row.contractAddress,
    receiver: row.receiver,
    gasLimit: row.gasLimit,
    gasUsed: row.gasUsed,
    succeeded: row.succeeded,
    revertReason: row.revertReason,
    confirmations: row.confirmations,
    createdAt: row.createdAt,
    broadcastAt: row.broadcastAt,
    resultFetchedAt: row.resultFetchedAt,
  };
}
