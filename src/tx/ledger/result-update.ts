import { getTableColumns, type Column, type Table } from "drizzle-orm";
import type { ResultChange } from "./ledger";

/**
 * The guarded UPDATE of one recorded result, as SQL text and parameters, for either engine's
 * table: `SET` the changed columns `WHERE id = ? AND status = ?` (the status the change was decided
 * from), so that a row another process moved meanwhile is left as that process wrote it.
 *
 * Written out instead of built with drizzle's query builder because tx-update records thousands of
 * rows in one unit: the builder cost more CPU per row than the statement itself (measured on
 * 10,000 rows: about a third of tx-update's own CPU). The text depends only on which columns
 * change, so an engine can cache the prepared statement by it.
 */
export function resultUpdate(table: Table, change: ResultChange): { sql: string; params: unknown[] } {
  const columns = getTableColumns(table) as Record<string, Column>;
  const assignments: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(change.set)) {
    if (value === undefined) continue;
    const column = columns[key];
    if (column === undefined) throw new Error(`recordResults: ${key} is not a column of the ledger`);
    assignments.push(`"${column.name}" = ?`);
    params.push(value === null ? null : column.mapToDriverValue(value));
  }
  if (assignments.length === 0) throw new Error(`recordResults: nothing to set for transaction ${change.id}`);
  params.push(change.id, change.from);
  return { sql: `UPDATE prepared_transactions SET ${assignments.join(", ")} WHERE id = ? AND status = ?`, params };
}
