import type { TxEnvironment } from "./environment";
import { lowestCapBelow } from "./fees";
import type { PreparedTransaction } from "./ledger";
import { updateTransactions } from "./update";

export interface WaitOptions {
  /** Blocks (counting the transaction's own) before a result is final. */
  confirmations: number;
  /** Milliseconds between two rounds at most. */
  intervalMs: number;
  /**
   * Milliseconds between two looks at the chain's newest block number between rounds: the next
   * round starts as soon as a new block is there (what a round can learn comes with blocks), and
   * intervalMs after the last one at the latest (a node can drop a transaction without a block).
   * Unset: rounds intervalMs apart.
   */
  headPollMs?: number;
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
    const nextRoundAt = Math.min(Date.now() + options.intervalMs, started + options.timeoutMs);
    // The round's own head: a block mined while it ran starts the next one at the first poll.
    if (report.head === undefined || options.headPollMs === undefined) await sleep(nextRoundAt - Date.now(), options.signal);
    else await untilNewBlock(env, report.head, nextRoundAt, options.headPollMs, options.signal);
    if (options.signal?.aborted) return { rows, outcome: "interrupted", open };
  }
}

/** Until the newest block number is not `head` (a new block, or a reorganisation), or the clock reaches `deadline`, looking every `pollMs`. */
async function untilNewBlock(env: TxEnvironment, head: number, deadline: number, pollMs: number, signal?: AbortSignal): Promise<void> {
  while (Date.now() < deadline && !signal?.aborted) {
    await sleep(Math.min(pollMs, deadline - Date.now()), signal);
    if (signal?.aborted) return;
    // A node that does not answer now is the next round's to report (it retries and says why).
    const newest = await env.provider.getBlockNumber().catch(() => head);
    if (newest !== head) return;
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
