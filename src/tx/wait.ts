import type { TxEnvironment } from "./environment";
import { lowestCapBelow } from "./fees";
import type { PreparedTransaction } from "./ledger";
import { updateTransactions } from "./update";

export interface WaitOptions {
  /** Blocks (counting the transaction's own) before a result is final. */
  confirmations: number;
  /** Milliseconds between two looks at the chain. */
  intervalMs: number;
  /** Gives up after this many milliseconds. */
  timeoutMs: number;
  /** Ctrl+C: stops between two rounds (a round's results are recorded whole). */
  signal?: AbortSignal;
  /** After every round: the transactions not final yet, and recorded results a reorganisation undid. */
  onRound?: (round: { open: PreparedTransaction[]; reorganised: PreparedTransaction[]; elapsedMs: number }) => void;
}

export interface WaitReport {
  /** Every transaction that changed or was looked at, in its latest state. */
  rows: PreparedTransaction[];
  /**
   * final: every broadcast transaction succeeded or failed for good; dropped: the ones left are
   * unknown to the node and need tx-broadcast (waiting longer cannot help); timeout, interrupted.
   */
  outcome: "final" | "dropped" | "timeout" | "interrupted";
  /** The transactions not final when the wait ended. */
  open: PreparedTransaction[];
  /**
   * With "dropped": set when the dropped transactions' fee cap (the lowest) is below the latest
   * block's base fee, so a node evicts them and refuses the same bytes again: tx-bump, not
   * tx-broadcast, gets them mined.
   */
  underpriced?: { lowestCap: bigint; baseFee: bigint };
}

/**
 * tx-update until every broadcast transaction of the account is final. Each round is one
 * updateTransactions, which records its results in one database transaction: stopping at any
 * moment (Ctrl+C, a timeout, a killed process) loses nothing, and waiting again resumes.
 */
export async function waitUntilFinal(env: TxEnvironment, options: WaitOptions): Promise<WaitReport> {
  const started = Date.now();
  const latest = new Map<number, PreparedTransaction>();
  for (;;) {
    const report = await updateTransactions(env, { confirmations: options.confirmations });
    for (const row of report.rows) latest.set(row.id, row);
    const open = report.rows.filter((row) => row.status !== "success" && row.status !== "failed");
    const elapsedMs = Date.now() - started;
    options.onRound?.({ open, reorganised: report.reorganised, elapsedMs });
    const rows = [...latest.values()].sort((a, b) => a.nonce - b.nonce);
    if (open.length === 0) return { rows, outcome: "final", open };
    if (open.every((row) => row.status === "dropped")) return { rows, outcome: "dropped", open, underpriced: await underpriced(env, open) };
    if (options.signal?.aborted) return { rows, outcome: "interrupted", open };
    if (elapsedMs >= options.timeoutMs) return { rows, outcome: "timeout", open };
    await sleep(Math.min(options.intervalMs, options.timeoutMs - elapsedMs), options.signal);
    if (options.signal?.aborted) return { rows, outcome: "interrupted", open };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function underpriced(env: TxEnvironment, dropped: readonly PreparedTransaction[]): Promise<WaitReport["underpriced"]> {
  const baseFee = (await env.provider.getBlock("latest"))?.baseFeePerGas ?? undefined;
  if (baseFee === undefined) return undefined;
  const lowestCap = lowestCapBelow(dropped, baseFee);
  return lowestCap === undefined ? undefined : { lowestCap, baseFee };
}
