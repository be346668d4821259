import type { Command } from "commander";
import { ExitCode, StoError } from "../errors";
import { parseCount } from "../input/numbers";
import type { TxEnvironment } from "../tx/environment";
import type { PreparedTransaction } from "../tx/ledger";
import { waitUntilFinal } from "../tx/wait";
import type { CommandContext } from "./context";
import { ProgressBar } from "./progress";
import { printTransactions } from "./tx-table";
import { counted, numberRanges } from "../input/words";
import { formatGwei } from "../tx/fees";

const DEFAULT_TIMEOUT_SECONDS = 600;

/** --wait and --timeout, the same on tx-broadcast and tx-update. */
export function waitOptions(command: Command): Command {
  return command
    .option("--wait", "wait until every broadcast transaction is final (succeeded or failed with the confirmations), with a progress line; Ctrl+C stops waiting, nothing is lost")
    .option("--timeout <seconds>", `with --wait: stop waiting after this long, exit code 1 (default: ${DEFAULT_TIMEOUT_SECONDS})`);
}

export function parseTimeout(text: string | undefined): number {
  return text === undefined ? DEFAULT_TIMEOUT_SECONDS : parseCount(text, "--timeout", { min: 1, max: 7 * 86_400 });
}

/**
 * Waits with waitUntilFinal and prints the result. Ctrl+C ends the wait after the round under way
 * (a second Ctrl+C ends the process at once: results are recorded per round, so that too is safe).
 */
export async function waitAndPrint(ctx: CommandContext, env: TxEnvironment, confirmations: number, timeoutSeconds: number): Promise<void> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const bar = ctx.out.interactive ? new ProgressBar(ctx.out.errorStream, 28, 0) : undefined;
  let total = 0;
  let lastLine = "";
  let report;
  try {
    report = await waitUntilFinal(env, {
      confirmations,
      // The local chain mines at once or every second or so; a real network's blocks come every
      // 12 seconds or so (L2s: faster). A look at the block number is one small request; a round
      // reads every open transaction's receipt: a round follows each new block (seen within a poll),
      // and rounds come at most intervalMs apart.
      intervalMs: ctx.config.network.name === "local" ? 500 : 12_000,
      headPollMs: ctx.config.network.name === "local" ? 100 : 4_000,
      timeoutMs: timeoutSeconds * 1000,
      signal: controller.signal,
      onRound: ({ open, reorganised, elapsedMs }) => {
        if (reorganised.length > 0) bar?.clear();
        for (const row of reorganised) warnReorganised(ctx.out, row);
        total = Math.max(total, open.length);
        if (total === 0) return;
        const line = `Waiting for ${open.length} of ${counted(total, "transaction")} to be final (${confirmationsText(confirmations)}): ${describeStatuses(open)} · ${Math.round(elapsedMs / 1000)} s · Ctrl+C stops waiting`;
        if (bar) bar.update((total - open.length) / total, line, true);
        else if (line.replace(/ · \d+ s · /, "") !== lastLine.replace(/ · \d+ s · /, "")) ctx.out.progress(line);
        lastLine = line;
      },
    });
  } finally {
    bar?.clear();
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
  if (report.rows.length === 0) {
    ctx.out.info("No broadcast transactions waiting for a result.");
    ctx.out.data({ outcome: report.outcome, transactions: [] });
    return;
  }
  printTransactions(ctx.out, report.rows, { outcome: report.outcome });
  for (const row of report.rows.filter((candidate) => candidate.status === "failed")) {
    ctx.out.warn(`nonce ${row.nonce} ("${row.note}") failed: ${row.revertReason ?? "unknown reason"}`);
  }
  const nonces = numberRanges(report.open.map((row) => row.nonce));
  switch (report.outcome) {
    case "final":
      ctx.out.info(`Every transaction is final (${confirmationsText(confirmations)}).`);
      return;
    case "dropped":
      if (report.underpriced) {
        const { lowestCap, baseFee } = report.underpriced;
        throw new StoError(
          `the node no longer knows nonces ${nonces}: their fee cap (as low as ${formatGwei(lowestCap)} gwei) is below the network's base fee now (${formatGwei(baseFee)} gwei), so a node evicts them and refuses the same bytes again: raise their fees with sto tx-bump, then sto tx-update --wait`,
        );
      }
      throw new StoError(`the node no longer knows nonces ${nonces}: run sto tx-broadcast to send them again, then sto tx-update --wait`);
    case "timeout":
      throw new StoError(`--timeout ${timeoutSeconds}: ${report.open.length === 1 ? "1 transaction is" : `${report.open.length} transactions are`} not final yet (nonces ${nonces}); nothing is lost: run sto tx-update --wait again`);
    case "interrupted":
      throw new StoError(`interrupted: ${report.open.length === 1 ? "1 transaction is" : `${report.open.length} transactions are`} not final yet (nonces ${nonces}); nothing is lost: run sto tx-update --wait again`, ExitCode.Interrupted);
  }
}

export function warnReorganised(out: CommandContext["out"], row: PreparedTransaction): void {
  out.warn(
    `the chain was reorganised: nonce ${row.nonce} ("${row.note}"), recorded as ${row.status} in block ${row.blockNumber}, is no longer in that block; it is awaited again (sto tx-broadcast resends it if the node dropped it)`,
  );
}

function confirmationsText(count: number): string {
  return count === 1 ? "1 confirmation" : `${count} confirmations`;
}

/** "2 mining, 1 broadcasted" */
function describeStatuses(rows: PreparedTransaction[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${count} ${status}`).join(", ");
}
