import { sql } from "drizzle-orm";
import { boolean, index, integer, serialId, table, text, textEnum, textPrimaryKey, uniqueIndex, wideInteger } from "./define";

/** The chain id each network name was first used with; a mismatch later stops every command. */
export const networks = table("networks", {
  name: textPrimaryKey("name"),
  chainId: wideInteger("chain_id").notNull(),
  /**
   * Hash of the chain's block 0, recorded at the first connection: a node with the same chain id
   * but another genesis block is another chain (a restarted local chain, a wrong URL).
   */
  genesisHash: text("genesis_hash"),
  /** The current time as ISO-8601 text (milliseconds, UTC), written by each engine in its own SQL. */
  createdAt: text("created_at")
    .notNull()
    .defaultSql({
      sqlite: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
      pg: sql`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    }),
});

/** An account that signs transactions, with the next nonce the database will hand out. */
export const broadcastAccounts = table(
  "broadcast_accounts",
  {
    id: serialId("id"),
    network: text("network").notNull(),
    chainId: wideInteger("chain_id").notNull(),
    /** Checksummed address. */
    address: text("address").notNull(),
    nextNonce: integer("next_nonce").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [uniqueIndex("broadcast_accounts_network_address").on(table.network, table.chainId, table.address)],
);

export const TX_STATUSES = ["waiting", "broadcasted", "mining", "success", "failed", "dropped", "replaced", "exported"] as const;
export type TxStatus = (typeof TX_STATUSES)[number];

/**
 * A transaction prepared by a command. It is signed and sent by tx-broadcast, its outcome recorded
 * by tx-update. Big numbers (wei, gas) are stored as decimal text to stay exact.
 */
export const preparedTransactions = table(
  "prepared_transactions",
  {
    id: serialId("id"),
    accountId: integer("account_id")
      .notNull()
      .references(() => broadcastAccounts, "id"),
    network: text("network").notNull(),
    chainId: wideInteger("chain_id").notNull(),
    nonce: integer("nonce").notNull(),
    fromAddress: text("from_address").notNull(),
    /** The contract called, or the address a deployment will create. */
    toAddress: text("to_address"),
    /** Human annotation shown in every table and kept for audits. */
    note: text("note").notNull(),
    /** Identifier of the business event in another system (a payment, an order) for payouts. */
    externalId: text("external_id"),
    /** Contract name (Solidity) deployed or called. */
    contractName: text("contract_name"),
    /** Function called, e.g. `issueTokens(uint256)`; null for deployments and plain value transfers. */
    functionSignature: text("function_signature"),
    isDeployment: boolean("is_deployment").notNull().default(false),
    /** For deployments: the address derived from sender and nonce. */
    contractAddress: text("contract_address"),
    /** Who or what receives value: a token holder for distributions, else the contract. */
    receiver: text("receiver"),

    // The unsigned transaction.
    data: text("data").notNull(),
    value: text("value").notNull().default("0"),
    gasLimit: text("gas_limit").notNull(),
    /** 0 = legacy (forced gas price), 2 = EIP-1559. Fees are fixed at signing time. */
    txType: integer("tx_type").notNull(),
    gasPrice: text("gas_price"),
    maxFeePerGas: text("max_fee_per_gas"),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas"),

    // Write-ahead record of the signed transaction, committed before it is sent.
    rawTransaction: text("raw_transaction"),
    txHash: text("tx_hash"),

    status: textEnum("status", TX_STATUSES).notNull().default("waiting"),
    createdAt: text("created_at").notNull(),
    signedAt: text("signed_at"),
    broadcastAt: text("broadcast_at"),
    resultFetchedAt: text("result_fetched_at"),
    blockNumber: wideInteger("block_number"),
    blockHash: text("block_hash"),
    gasUsed: text("gas_used"),
    /** True when final (enough confirmations), false when reverted, null while unknown. */
    succeeded: boolean("succeeded"),
    revertReason: text("revert_reason"),
    /** Confirmations the block had when last checked. */
    confirmations: integer("confirmations"),

    // What source verification needs later.
    /** `contracts/SecurityToken.sol:SecurityToken` */
    sourceName: text("source_name"),
    /** ABI-encoded constructor arguments without the 0x prefix. */
    constructorArguments: text("constructor_arguments"),
    /** Hardhat build-info id (file name) holding the compiler input and version. */
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

/** The prepared transaction a row belongs to (its signatures, the payments it makes). */
export const transactionId = () => integer("transaction_id").notNull().references(() => preparedTransactions, "id");

/** How a signed version came about: the first signature, a re-signing by tx-bump, or tx-cancel's no-op. */
export const SIGNATURE_KINDS = ["original", "bump", "cancel"] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

/**
 * pending: may be in a pool or not sent yet; mined: the one the chain holds; replaced: another
 * version of the same nonce was mined; rejected: the node refused it as invalid (node_error).
 */
export const SIGNATURE_STATUSES = ["pending", "mined", "replaced", "rejected"] as const;
export type SignatureStatus = (typeof SIGNATURE_STATUSES)[number];

/**
 * Every signed version of a prepared transaction (the first one, fee bumps, gas limit
 * corrections and a cancellation), so that whichever of them is mined is recognised. At most one
 * of them can ever be mined: they all share the transaction's nonce.
 */
export const transactionSignatures = table(
  "transaction_signatures",
  {
    id: serialId("id"),
    transactionId: transactionId(),
    txHash: text("tx_hash").notNull(),
    rawTransaction: text("raw_transaction").notNull(),
    gasPrice: text("gas_price"),
    maxFeePerGas: text("max_fee_per_gas"),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas"),
    signedAt: text("signed_at").notNull(),
    kind: textEnum("kind", SIGNATURE_KINDS).notNull().default("original"),
    status: textEnum("status", SIGNATURE_STATUSES).notNull().default("pending"),
    /** Gas limit of this version (a gas limit correction changes it); null: the transaction's. */
    gasLimit: text("gas_limit"),
    /** What the node answered when it refused this version. */
    nodeError: text("node_error"),
  },
  (table) => [uniqueIndex("transaction_signatures_hash").on(table.txHash), index("transaction_signatures_tx").on(table.transactionId)],
);
