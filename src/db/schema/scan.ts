import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A token whose Transfer events token-scan has read. The scanned range is always contiguous:
 * every Transfer event of blocks `startBlock..scannedToBlock` is in the database, none outside it.
 */
export const scannedTokens = sqliteTable(
  "scanned_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    network: text("network").notNull(),
    chainId: integer("chain_id").notNull(),
    /** Checksummed contract address. */
    address: text("address").notNull(),
    /** ERC-20 metadata as the contract reported it at the last scan; null when it has none. */
    name: text("name"),
    symbol: text("symbol"),
    decimals: integer("decimals"),
    /** First block of the scanned range (the contract's creation block unless --start-block said otherwise). */
    startBlock: integer("start_block").notNull(),
    /** True when startBlock is the block that created the contract, so nothing happened before it. */
    startsAtCreation: integer("starts_at_creation", { mode: "boolean" }).notNull().default(false),
    /** Last block whose events are all stored; startBlock - 1 before the first chunk. */
    scannedToBlock: integer("scanned_to_block").notNull(),
    /** totalSupply() read from the contract at `totalSupplyBlock` (decimal text, exact). */
    totalSupply: text("total_supply"),
    totalSupplyBlock: integer("total_supply_block"),
    createdAt: text("created_at").notNull(),
    /** Wall-clock time of the last chunk written. */
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [uniqueIndex("scanned_tokens_chain_address").on(table.chainId, table.address)],
);

/**
 * Blocks of a token's scanned range whose hash we keep: every block with a Transfer event (their
 * timestamps date the balance changes) and the blocks near the chain tip at scan time, so that a
 * later run can tell whether the chain it scanned was replaced (a reorganisation).
 */
export const scanBlocks = sqliteTable(
  "scan_blocks",
  {
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    blockNumber: integer("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    /** Unix seconds. */
    timestamp: integer("timestamp").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tokenId, table.blockNumber] }),
    index("scan_blocks_time").on(table.tokenId, table.timestamp, table.blockNumber),
  ],
);

/** Every Transfer event of a scanned token. Addresses are lowercase hex; value is decimal text. */
export const tokenTransfers = sqliteTable(
  "token_transfers",
  {
    // Plain rowid keys here and in the two tables below: AUTOINCREMENT would cost a sqlite_sequence
    // write per row on the hot path.
    id: integer("id").primaryKey(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    txHash: text("tx_hash").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    value: text("value").notNull(),
  },
  (table) => [uniqueIndex("token_transfers_position").on(table.tokenId, table.blockNumber, table.logIndex)],
);

/** Every address that ever had its balance changed by a transfer of the token. */
export const tokenHolders = sqliteTable(
  "token_holders",
  {
    id: integer("id").primaryKey(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    /** Lowercase hex. */
    address: text("address").notNull(),
  },
  (table) => [uniqueIndex("token_holders_address").on(table.tokenId, table.address)],
);

/**
 * A holder's balance at the end of each block in which a Transfer event changed it, with the log
 * index of its last change in that block. The balance at block B is the row with the highest
 * (blockNumber, logIndex) at or below B: one index seek per holder.
 */
export const balanceChanges = sqliteTable(
  "balance_changes",
  {
    id: integer("id").primaryKey(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => scannedTokens.id),
    holderId: integer("holder_id")
      .notNull()
      .references(() => tokenHolders.id),
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    /** Balance after the event, decimal text (negative only for tokens that move balances without events). */
    balance: text("balance").notNull(),
    /** Sign of balance: 1, 0 or -1, so empty accounts are filtered in SQL. */
    sign: integer("sign").notNull(),
  },
  (table) => [
    index("balance_changes_holder_position").on(table.holderId, table.blockNumber, table.logIndex),
    index("balance_changes_token_block").on(table.tokenId, table.blockNumber),
  ],
);

export type ScannedToken = typeof scannedTokens.$inferSelect;
