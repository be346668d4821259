import type { StoDatabase } from "../db/database";
import { isUniqueViolation, type SqlClient } from "../db/sql";
import { ledgerOf, type TxStatus } from "../tx/ledger";

/**
 * A transaction status after which the payment may be prepared again: it reverted (or its nonce
 * was used by another transaction), so nothing was paid. Every other status counts as prepared:
 * never pay an external_id twice.
 */
export const RETRYABLE_STATUSES: readonly TxStatus[] = ["failed"];

/** The active payment of an external_id, with the state of its transaction. */
export interface ExistingPayment {
  id: number;
  externalId: string;
  receiver: string;
  amount: bigint;
  transactionId: number;
  status: TxStatus;
  nonce: number;
  txHash: string | null;
}

interface PaymentRow {
  id: number;
  external_id: string;
  receiver: string;
  amount: string;
  transaction_id: number;
}

/** SQLite binds at most 32766 parameters; stay well below with room for the fixed ones. */
const LOOKUP_CHUNK = 500;

/**
 * The active payments of `externalIds` for a token: indexed lookups in chunks, so the cost grows
 * with the file, not with the token's whole history.
 */
export async function activePayments(
  db: StoDatabase,
  network: string,
  tokenAddress: string,
  externalIds: readonly string[],
): Promise<Map<string, ExistingPayment>> {
  const payments: PaymentRow[] = [];
  for (let start = 0; start < externalIds.length; start += LOOKUP_CHUNK) {
    const chunk = externalIds.slice(start, start + LOOKUP_CHUNK);
    payments.push(
      ...(await db.sql.all<PaymentRow>(
        `SELECT id, external_id, receiver, amount, transaction_id FROM distribution_payments
          WHERE network = ? AND token_address = ? AND superseded_at IS NULL
            AND external_id IN (${chunk.map(() => "?").join(",")})`,
        [network, tokenAddress, ...chunk],
      )),
    );
  }
  // The state of each payment's transaction, from the ledger.
  const states = await ledgerOf(db).transactionStates(payments.map((row) => row.transaction_id));
  const found = new Map<string, ExistingPayment>();
  for (const row of payments) {
    const state = states.get(row.transaction_id);
    if (!state) continue;
    found.set(row.external_id, {
      id: row.id,
      externalId: row.external_id,
      receiver: row.receiver,
      amount: BigInt(row.amount),
      transactionId: row.transaction_id,
      status: state.status,
      nonce: state.nonce,
      txHash: state.txHash,
    });
  }
  return found;
}

/**
 * Tokens this database has prepared to send from `sender` that have not left its balance yet:
 * active payments whose transaction is not mined (nonce at or above the sender's mined nonce at the
 * block the balance was read). A transaction that was mined but not yet seen by tx-update is thus
 * not counted twice, and one that reverted never counts. Summed as bigints: SQLite integers are 64-bit.
 */
export async function unminedOutflow(db: StoDatabase, network: string, tokenAddress: string, unmined: ReadonlySet<number>): Promise<bigint> {
  if (unmined.size === 0) return 0n;
  const ids = [...unmined];
  let sum = 0n;
  for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
    const chunk = ids.slice(start, start + LOOKUP_CHUNK);
    const amounts = await db.sql.all<{ amount: string }>(
      `SELECT amount FROM distribution_payments WHERE network = ? AND token_address = ? AND superseded_at IS NULL AND transaction_id IN (${chunk.map(() => "?").join(",")})`,
      [network, tokenAddress, ...chunk],
    );
    for (const { amount } of amounts) sum += BigInt(amount);
  }
  return sum;
}

/** A payment to record together with the transaction that makes it. */
export interface PaymentRecord {
  network: string;
  chainId: number;
  tokenAddress: string;
  externalId: string;
  receiver: string;
  amount: bigint;
  email: string;
  name: string;
  source: string;
  transactionId: number;
  /** The failed payment this one replaces, if any. */
  supersedes?: number;
}

/** Another process prepared some of the same payments between our reading and our writing. */
export class ConcurrentDistribution extends Error {
  constructor() {
    super("another sto process prepared payments of this distribution at the same time");
    this.name = "ConcurrentDistribution";
  }
}

const SUPERSEDE = "UPDATE distribution_payments SET superseded_at = ? WHERE id = ? AND superseded_at IS NULL";
const INSERT_COLUMNS = "(network, chain_id, token_address, external_id, receiver, amount, email, name, source, transaction_id, created_at)";
const ROW_PLACEHOLDERS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/** Values per row: the columns of INSERT_COLUMNS. */
const ROW_VALUES = 11;
/**
 * Rows per INSERT. On PostgreSQL each statement is a round trip; on SQLite each is a call into the
 * driver with its own binding and statement reset, and one row per call cost about 8 µs a row,
 * most of the prepare step of a 10,000-row batch distribution (100 rows: 1,100 parameters, far
 * below SQLite's limit of 32,766).
 */
const INSERT_ROWS: Record<SqlClient["engine"], number> = { sqlite: 100, postgresql: 500 };

/** The INSERT of `rows` payments, made once per size (a client caches statements by their text). */
const insertStatements = new Map<number, string>();
function insertStatement(rows: number): string {
  let statement = insertStatements.get(rows);
  if (statement === undefined) {
    statement = `INSERT INTO distribution_payments ${INSERT_COLUMNS} VALUES ${new Array<string>(rows).fill(ROW_PLACEHOLDERS).join(", ")}`;
    insertStatements.set(rows, statement);
  }
  return statement;
}

/**
 * Writes payments with `sql`, the client of the unit of work that inserts their transactions (the
 * prepare pipeline's afterInsert/afterChunk), so they are committed or rolled back together.
 * The partial unique index on active payments is the guard against paying an external_id twice;
 * tripping it (a concurrent run) aborts the whole write.
 */
export async function recordPayments(sql: SqlClient, payments: readonly PaymentRecord[], now: string): Promise<void> {
  try {
    for (const payment of payments) {
      if (payment.supersedes !== undefined && (await sql.run(SUPERSEDE, [now, payment.supersedes])) !== 1) {
        throw new ConcurrentDistribution();
      }
    }
    const perStatement = INSERT_ROWS[sql.engine];
    for (let start = 0; start < payments.length; start += perStatement) {
      const end = Math.min(payments.length, start + perStatement);
      const values: unknown[] = new Array((end - start) * ROW_VALUES);
      let index = 0;
      for (let row = start; row < end; row++) {
        const payment = payments[row];
        values[index++] = payment.network;
        values[index++] = payment.chainId;
        values[index++] = payment.tokenAddress;
        values[index++] = payment.externalId;
        values[index++] = payment.receiver;
        values[index++] = payment.amount.toString();
        values[index++] = payment.email;
        values[index++] = payment.name;
        values[index++] = payment.source;
        values[index++] = payment.transactionId;
        values[index++] = now;
      }
      await sql.run(insertStatement(end - start), values);
    }
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConcurrentDistribution();
    throw error;
  }
}
