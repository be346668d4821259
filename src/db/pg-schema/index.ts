import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { SIGNATURE_KINDS, SIGNATURE_STATUSES, TX_STATUSES } from "../schema";

/*
 * The audit database's tables on PostgreSQL: the same tables, columns, keys and indexes as the
 * SQLite schema in ../schema/ (the model, with the comments), in PostgreSQL's types.
 * test/db/schemas.test.ts compares the two, table by table and column by column, and the types
 * below are checked to give the same records (PreparedTransaction, ...), so the ledger's typed
 * records mean the same thing on both engines.
 *
 * Types: integer where the SQLite schema's values fit 32 bits (nonces, log indexes, decimals);
 * bigint (read as a JavaScript number) for chain ids, block numbers, timestamps and the scanner's
 * row ids; text for amounts (decimal text, exact) and times (ISO-8601), as on SQLite.
 */

const number = (name: string) => bigint(name, { mode: "number" });

export const networks = pgTable("networks", {
  name: text("name").primaryKey(),
  chainId: number("chain_id").notNull(),
  genesisHash: text("genesis_hash"),
  createdAt: text("created_at")
    .notNull()
    .default(sql`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`),
});

export const broadcastAccounts = pgTable(
  "broadcast_accounts",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    network: text("network").notNull(),
    chainId: number("chain_id").notNull(),
    address: text("address").notNull(),
    nextNonce: integer("next_nonce").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [uniqueIndex("broadcast_accounts_network_address").on(table.network, table.chainId, table.address)],
);

export const preparedTransactions = pgTable(
  "prepared_transactions",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => broadcastAccounts.id),
    network: text("network").notNull(),
    chainId: number("chain_id").notNull(),
    nonce: integer("nonce").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address"),
    note: text("note").notNull(),
    externalId: text("external_id"),
    contractName: text("contract_name"),
    functionSignature: text("function_signature"),
    isDeployment: boolean("is_deployment").notNull().default(false),
    contractAddress: text("contract_address"),
    receiver: text("receiver"),
    data: text("data").notNull(),
    value: text("value").notNull().default("0"),
    gasLimit: text("gas_limit").notNull(),
    txType: integer("tx_type").notNull(),
    gasPrice: text("gas_price"),
    maxFeePerGas: text("max_fee_per_gas"),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas"),
    rawTransaction: text("raw_transaction"),
    txHash: text("tx_hash"),
    status: text("status", { enum: TX_STATUSES }).notNull().default("waiting"),
    createdAt: text("created_at").notNull(),
    signedAt: text("signed_at"),
    broadcastAt: text("broadcast_at"),
    resultFetchedAt: text("result_fetched_at"),
    blockNumber: number("block_number"),
    blockHash: text("block_hash"),
    gasUsed: text("gas_used"),
    succeeded: boolean("succeeded"),
    revertReason: text("revert_reason"),
    confirmations: integer("confirmations"),
    sourceName: text("source_name"),
    constructorArguments: text("constructor_arguments"),
    compilerInputId: text("compiler_input_id"),
    verifiedAt: text("verified_at"),
    verificationInfo: text("verification_info"),
  },
  (table) => [
    uniqueIndex("prepared_transactions_account_nonce").on(table.accountId, table.nonce),
    index("prepared_transactions_status").on(table.status),
    index("prepared_transactions_hash").on(table.txHash),
    index("prepared_transactions_external_id").on(table.externalId),
    index("prepared_transactions_contract_address").on(table.contractAddress),
  ],
);

export const transactionSignatures = pgTable(
  "transaction_signatures",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    transactionId: integer("transaction_id")
      .notNull()
      .references(() => preparedTransactions.id),
    txHash: text("tx_hash").notNull(),
    rawTransaction: text("raw_transaction").notNull(),
    gasPrice: text("gas_price"),
    maxFeePerGas: text("max_fee_per_gas"),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas"),
    signedAt: text("signed_at").notNull(),
    kind: text("kind", { enum: SIGNATURE_KINDS }).notNull().default("original"),
    status: text("status", { enum: SIGNATURE_STATUSES }).notNull().default("pending"),
    gasLimit: text("gas_limit"),
    nodeError: text("node_error"),
  },
  (table) => [uniqueIndex("transaction_signatures_hash").on(table.txHash), index("transaction_signatures_tx").on(table.transactionId)],
);

export const scannedTokens = pgTable(
  "scanned_tokens",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    network: text("network").notNull(),
    chainId: number("chain_id").notNull(),
    address: text("address").notNull(),
    name: text("name"),
    symbol: text("symbol"),
    decimals: integer("decimals"),
    startBlock: number("start_block").notNull(),
    startsAtCreation: boolean("starts_at_creation").notNull().default(false),
    scannedToBlock: number("scanned_to_block").notNull(),
    totalSupply: text("total_supply"),
    totalSupplyBlock: number("total_supply_block"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [uniqueIndex("scanned_tokens_chain_address").on(table.chainId, table.address)],
);

export const scanBlocks = pgTable(
  "scan_blocks",
  {
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    blockNumber: number("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    timestamp: number("timestamp").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tokenId, table.blockNumber] }),
    index("scan_blocks_time").on(table.tokenId, table.timestamp, table.blockNumber),
  ],
);

export const tokenTransfers = pgTable(
  "token_transfers",
  {
    id: number("id").primaryKey().generatedByDefaultAsIdentity(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    blockNumber: number("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    txHash: text("tx_hash").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    value: text("value").notNull(),
  },
  (table) => [uniqueIndex("token_transfers_position").on(table.tokenId, table.blockNumber, table.logIndex)],
);

export const tokenHolders = pgTable(
  "token_holders",
  {
    id: number("id").primaryKey().generatedByDefaultAsIdentity(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    address: text("address").notNull(),
  },
  (table) => [uniqueIndex("token_holders_address").on(table.tokenId, table.address)],
);

export const balanceChanges = pgTable(
  "balance_changes",
  {
    id: number("id").primaryKey().generatedByDefaultAsIdentity(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    holderId: number("holder_id")
      .notNull()
      .references(() => tokenHolders.id),
    blockNumber: number("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    balance: text("balance").notNull(),
    sign: integer("sign").notNull(),
    correction: integer("correction").notNull().default(0),
  },
  (table) => [
    index("balance_changes_holder_position").on(table.holderId, table.blockNumber, table.logIndex),
    index("balance_changes_token_block").on(table.tokenId, table.blockNumber),
  ],
);

export const scanVerifications = pgTable(
  "scan_verifications",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    blockNumber: number("block_number").notNull(),
    status: text("status", { enum: ["match", "mismatch", "reconciled", "partial"] }).notNull(),
    totalSupply: text("total_supply"),
    scannedSupply: text("scanned_supply").notNull(),
    holdersChecked: integer("holders_checked").notNull(),
    holdersDiffering: integer("holders_differing").notNull(),
    differences: text("differences").notNull(),
    cause: text("cause"),
    checkedAt: text("checked_at").notNull(),
  },
  (table) => [index("scan_verifications_block").on(table.tokenId, table.blockNumber)],
);

export const balanceCorrections = pgTable(
  "balance_corrections",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    holderId: number("holder_id")
      .notNull()
      .references(() => tokenHolders.id),
    verificationId: integer("verification_id")
      .notNull()
      .references(() => scanVerifications.id),
    blockNumber: number("block_number").notNull(),
    scannedBalance: text("scanned_balance").notNull(),
    chainBalance: text("chain_balance").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (table) => [index("balance_corrections_block").on(table.tokenId, table.blockNumber)],
);

export const distributionPayments = pgTable(
  "distribution_payments",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    network: text("network").notNull(),
    chainId: number("chain_id").notNull(),
    tokenAddress: text("token_address").notNull(),
    externalId: text("external_id").notNull(),
    receiver: text("receiver").notNull(),
    amount: text("amount").notNull(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    source: text("source").notNull(),
    transactionId: integer("transaction_id")
      .notNull()
      .references(() => preparedTransactions.id),
    createdAt: text("created_at").notNull(),
    supersededAt: text("superseded_at"),
  },
  (table) => [
    uniqueIndex("distribution_payments_active")
      .on(table.network, table.tokenAddress, table.externalId)
      .where(sql`${table.supersededAt} IS NULL`),
    index("distribution_payments_transaction").on(table.transactionId),
  ],
);

export const payoutPayments = pgTable(
  "payout_payments",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    network: text("network").notNull(),
    chainId: number("chain_id").notNull(),
    payoutAddress: text("payout_address").notNull(),
    holder: text("holder").notNull(),
    externalId: text("external_id").notNull(),
    amount: text("amount").notNull(),
    shares: text("shares").notNull(),
    transactionId: integer("transaction_id")
      .notNull()
      .references(() => preparedTransactions.id),
    createdAt: text("created_at").notNull(),
    paidAmount: text("paid_amount"),
    reconciledAt: text("reconciled_at"),
    supersededAt: text("superseded_at"),
  },
  (table) => [
    uniqueIndex("payout_payments_active")
      .on(table.network, table.payoutAddress, table.externalId)
      .where(sql`${table.supersededAt} IS NULL`),
    index("payout_payments_transaction").on(table.transactionId),
    index("payout_payments_holder").on(table.payoutAddress, table.holder),
  ],
);
