import { boolean, index, integer, primaryKey, rowId, serialId, table, text, textEnum, uniqueIndex, wideInteger } from "./define";

/** The scanned token a row of the scanner belongs to. */
const tokenId = () => integer("token_id").notNull().references(() => scannedTokens, "id");

/** The holder a row is about (a token_holders id: a scanner row id, wide on PostgreSQL). */
const holderId = () => wideInteger("holder_id").notNull().references(() => tokenHolders, "id");

/**
 * A token whose Transfer events token-scan has read. The scanned range is always contiguous:
 * every Transfer event of blocks `startBlock..scannedToBlock` is in the database, none outside it.
 */
export const scannedTokens = table(
  "scanned_tokens",
  {
    id: serialId("id"),
    network: text("network").notNull(),
    chainId: wideInteger("chain_id").notNull(),
    /** Checksummed contract address. */
    address: text("address").notNull(),
    /** ERC-20 metadata as the contract reported it at the last scan; null when it has none. */
    name: text("name"),
    symbol: text("symbol"),
    decimals: integer("decimals"),
    /** First block of the scanned range (the contract's creation block unless --start-block said otherwise). */
    startBlock: wideInteger("start_block").notNull(),
    /** True when startBlock is the block that created the contract, so nothing happened before it. */
    startsAtCreation: boolean("starts_at_creation").notNull().default(false),
    /** Last block whose events are all stored; startBlock - 1 before the first chunk. */
    scannedToBlock: wideInteger("scanned_to_block").notNull(),
    /** totalSupply() read from the contract at `totalSupplyBlock` (decimal text, exact). */
    totalSupply: text("total_supply"),
    totalSupplyBlock: wideInteger("total_supply_block"),
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
export const scanBlocks = table(
  "scan_blocks",
  {
    tokenId: tokenId(),
    blockNumber: wideInteger("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    /** Unix seconds. */
    timestamp: wideInteger("timestamp").notNull(),
  },
  (table) => [
    primaryKey(table.tokenId, table.blockNumber),
    index("scan_blocks_time").on(table.tokenId, table.timestamp, table.blockNumber),
  ],
);

/** Every Transfer event of a scanned token. Addresses are lowercase hex; value is decimal text. */
export const tokenTransfers = table(
  "token_transfers",
  {
    // Plain rowid keys here and in the two tables below: AUTOINCREMENT would cost a sqlite_sequence
    // write per row on the hot path.
    id: rowId("id"),
    tokenId: tokenId(),
    blockNumber: wideInteger("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    txHash: text("tx_hash").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    value: text("value").notNull(),
  },
  (table) => [uniqueIndex("token_transfers_position").on(table.tokenId, table.blockNumber, table.logIndex)],
);

/** Every address that ever had its balance changed by a transfer of the token. */
export const tokenHolders = table(
  "token_holders",
  {
    id: rowId("id"),
    tokenId: tokenId(),
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
export const balanceChanges = table(
  "balance_changes",
  {
    id: rowId("id"),
    tokenId: tokenId(),
    holderId: holderId(),
    blockNumber: wideInteger("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    /** Balance after the event, decimal text (negative only for tokens that move balances without events). */
    balance: text("balance").notNull(),
    /** Sign of balance: 1, 0 or -1, so empty accounts are filtered in SQL. */
    sign: integer("sign").notNull(),
    /**
     * 1 for a correction recorded by `token-scan --reconcile` (the balance set to the contract's
     * balanceOf at a verified block, see balanceCorrections), 0 for a change by Transfer events.
     */
    correction: integer("correction").notNull().default(0),
  },
  (table) => [
    index("balance_changes_holder_position").on(table.holderId, table.blockNumber, table.logIndex),
    index("balance_changes_token_block").on(table.tokenId, table.blockNumber),
  ],
);

/**
 * The check of a scan against the chain at the block where it ended: the scanned balances of the
 * holders it touched (and of every known holder when something disagreed) against balanceOf, and
 * their sum against totalSupply(). A cap table is verified only where a check backs it.
 */
export const scanVerifications = table(
  "scan_verifications",
  {
    id: serialId("id"),
    tokenId: tokenId(),
    blockNumber: wideInteger("block_number").notNull(),
    /**
     * `match`: every balance checked and the supply agree; `mismatch`: the chain disagrees;
     * `reconciled`: it disagreed and corrections made the database equal balanceOf at this block;
     * `partial`: more holders changed than one check reads, the rest were not checked.
     */
    status: textEnum("status", ["match", "mismatch", "reconciled", "partial"]).notNull(),
    /** totalSupply() at the block, decimal text; null when the token has none. */
    totalSupply: text("total_supply"),
    /** Sum of the scanned balances at the block (before any correction), decimal text. */
    scannedSupply: text("scanned_supply").notNull(),
    holdersChecked: integer("holders_checked").notNull(),
    holdersDiffering: integer("holders_differing").notNull(),
    /** The largest differences, JSON: [{ address, scanned, chain }] in base units. */
    differences: text("differences").notNull(),
    /** The likely cause in words; null when everything matched. */
    cause: text("cause"),
    checkedAt: text("checked_at").notNull(),
  },
  (table) => [index("scan_verifications_block").on(table.tokenId, table.blockNumber)],
);

/**
 * One correction by `token-scan --reconcile`: the holder's balance by the Transfer events and by
 * balanceOf at the verified block. The corrected balance itself is a balance_changes row with
 * correction = 1 at that block, after the block's events, so cap tables from that block on read it.
 */
export const balanceCorrections = table(
  "balance_corrections",
  {
    id: serialId("id"),
    tokenId: tokenId(),
    holderId: holderId(),
    verificationId: integer("verification_id")
      .notNull()
      .references(() => scanVerifications, "id"),
    blockNumber: wideInteger("block_number").notNull(),
    /** Decimal text, base units. */
    scannedBalance: text("scanned_balance").notNull(),
    chainBalance: text("chain_balance").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (table) => [index("balance_corrections_block").on(table.tokenId, table.blockNumber)],
);
