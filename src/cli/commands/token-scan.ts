import type { Command } from "commander";
import { checksumAddress } from "../../chain/checksum";
import { exactAmount } from "../../captable/amounts";
import { ExitCode, StoError } from "../../errors";
import { DEFAULT_VERIFY_LIMIT, type Verification } from "../../scan/verify";
import { TokenScanner, type Rollback, type ScanProgress } from "../../scan/scanner";
import { SqliteScanDatabase } from "../../scan/store";
import { PostgresScanDatabase } from "../../scan/postgres-store";
import { action } from "../action";
import { parseAddress } from "../../input/address";
import { parseBlockNumber } from "../../input/numbers";
import { parseCount } from "../../input/numbers";
import { groupDigits, ProgressBar } from "../progress";
import { counted } from "../../input/words";

interface TokenScanOptions {
  tokenAddress: string;
  startBlock?: string;
  endBlock?: string;
  reconcile?: boolean;
  verify: boolean;
  verifyLimit: string;
}

export const TOKEN_SCAN_DESCRIPTION = `Update token holder balances from a blockchain to a local database.

Reads the ERC-20 Transfer events of a token (ours or any other) with eth_getLogs and stores every
transfer and every balance change exactly, so that cap-table can print the holders at any block.

If start block and end block are omitted, continues where the last scan ended, after checking that
the last scanned blocks are still on the chain: blocks replaced by a reorganisation are dropped and
scanned again. The first scan starts at the block that created the contract. Interrupting a scan
(Ctrl+C) is safe: what was stored stays, and the next run resumes from there.

At the block where it ends, the scan is checked against the chain: the sum of the scanned balances
against totalSupply(), and balanceOf of every holder whose balance changed (of every holder when
anything disagrees). A token whose events do not tell the whole story (a mint without Transfer, a
fee on transfers, a rebase) is reported with the largest differences and the likely cause, and
the command exits with status 4; what was scanned is stored all the same, and cap-table marks it
unverified. --reconcile records one correction per differing holder at that block, so that the cap
table from that block on equals balanceOf.`;

export function register(program: Command): void {
  program
    .command("token-scan")
    .description(TOKEN_SCAN_DESCRIPTION)
    .requiredOption("--token-address <address>", "token contract address")
    .option("--start-block <block>", "the first block where we start (re)scan; what was stored from it on is dropped")
    .option("--end-block <block>", "until which block we scan: a block number or 'latest' (default)")
    .option("--reconcile", "where the chain disagrees, record corrections so that the cap table at the scanned block equals balanceOf")
    .option("--verify-limit <holders>", "read balanceOf of at most this many holders in the check at the end", String(DEFAULT_VERIFY_LIMIT))
    .option("--no-verify", "skip the check against the chain (cap tables of this scan stay unverified)")
    .action(
      action(async (ctx, options: TokenScanOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const startBlock = options.startBlock === undefined ? undefined : parseBlockNumber(options.startBlock, "--start-block");
        const endBlock =
          options.endBlock === undefined || options.endBlock.trim().toLowerCase() === "latest"
            ? undefined
            : parseBlockNumber(options.endBlock, "--end-block");
        if (startBlock !== undefined && endBlock !== undefined && endBlock < startBlock) {
          throw new StoError(`--end-block ${endBlock} is before --start-block ${startBlock}`);
        }
        const verifyLimit = parseCount(options.verifyLimit, "--verify-limit", { min: 0, max: 100_000_000 });
        if (!options.verify && options.reconcile) throw new StoError("--reconcile needs the check against the chain: drop --no-verify");
        if (!/^https?:/i.test(ctx.config.nodeUrl)) {
          throw new StoError("token-scan needs an http(s) ethereum-node-url");
        }
        const { chainId, transport } = await ctx.chain();
        const out = ctx.out;
        const bar = out.interactive ? new ProgressBar(out.errorStream) : undefined;
        const started = Date.now();
        let reportedAtStart = 0;
        const reportRollback = (rollback: Rollback) => {
          if (rollback.reason === "reorg") {
            out.warn(`the chain was reorganised: dropped blocks ${rollback.fromBlock}-${rollback.toBlock} and scanning them again`);
          } else {
            out.info(`Dropped blocks ${rollback.fromBlock}-${rollback.toBlock} to scan them again`);
          }
        };

        const db = await ctx.db();
        const scanDatabase = db.engine === "sqlite" ? new SqliteScanDatabase(db) : new PostgresScanDatabase(db);
        const scanner = new TokenScanner(scanDatabase, transport, {
          network: ctx.config.network.name,
          chainId,
          tokenAddress,
          startBlock,
          endBlock,
          verify: options.verify ? { limit: verifyLimit, reconcile: options.reconcile ?? false } : false,
          onNotice: (message) => {
            bar?.clear();
            out.warn(message);
          },
          onStart: (start) => {
            const { token } = start;
            const label = [token.name, token.symbol ? `(${token.symbol})` : undefined].filter(Boolean).join(" ");
            out.info(`Scanning token: ${label || "(no name)"} ${token.address}`);
            out.info(`Current last block for chain ${ctx.config.network.name}: ${start.latestBlock}`);
            if (start.previousScannedTo >= token.startBlock) out.info(`Last scan ended at block: ${start.previousScannedTo}`);
            start.rollbacks.forEach(reportRollback);
            reportedAtStart = start.rollbacks.length;
            if (start.fromBlock > start.endBlock) {
              out.info(`Already scanned to block ${start.fromBlock - 1}`);
            } else {
              out.info(`Scanning blocks: ${start.fromBlock} - ${start.endBlock}`);
            }
          },
          onProgress: bar
            ? (progress: ScanProgress) => {
                const seconds = Math.max(0.001, (Date.now() - started) / 1000);
                const total = progress.endBlock - progress.fromBlock + 1;
                const done = progress.scannedTo - progress.fromBlock + 1;
                bar.update(
                  done / total,
                  `block ${progress.scannedTo}/${progress.endBlock} · ${groupDigits(done / seconds)} blocks/s · ` +
                    `${groupDigits(progress.events / seconds)} events/s · ${groupDigits(progress.events)} events · range ${groupDigits(progress.rangeBlocks)}`,
                  progress.scannedTo === progress.endBlock,
                );
              }
            : undefined,
        });
        let result;
        try {
          result = await scanner.scan();
        } finally {
          bar?.clear();
        }
        // The result lists every rollback of the run, those of its start (reported above) first.
        result.rollbacks.slice(reportedAtStart).forEach(reportRollback);
        const seconds = result.elapsedMs / 1000;
        if (result.toBlock >= result.fromBlock) {
          out.info(
            `Scanned blocks ${result.fromBlock} - ${result.toBlock}: ${result.events} transfer events in ${seconds.toFixed(1)} s` +
              (seconds > 0 ? ` (${groupDigits(result.events / seconds)} events/s)` : ""),
          );
        }
        out.result(`Updated ${result.holdersUpdated} token holder balances`);
        const verification = result.verification;
        const decimals = result.token.decimals;
        const amount = (units: bigint) => (decimals === null ? `${units} base units` : exactAmount(units, decimals));
        if (verification) reportVerification(verification, amount, (line) => out.info(line), (line) => out.warn(line));
        else if (!options.verify) out.warn("not checked against the chain (--no-verify): cap tables of the blocks scanned now are unverified");
        out.data({
          token: result.token.address,
          name: result.token.name,
          symbol: result.token.symbol,
          decimals: result.token.decimals,
          latestBlock: result.latestBlock,
          previousScannedTo: result.previousScannedTo >= result.token.startBlock ? result.previousScannedTo : null,
          fromBlock: result.fromBlock,
          toBlock: result.toBlock,
          scannedFromBlock: result.token.startBlock,
          scannedToBlock: result.token.scannedToBlock,
          events: result.events,
          chunks: result.chunks,
          holdersUpdated: result.holdersUpdated,
          totalSupply: result.token.totalSupply,
          rollbacks: result.rollbacks,
          verification: verification ? verificationJson(verification, decimals) : null,
          elapsedMs: result.elapsedMs,
        });
        if (verification?.status === "mismatch") {
          throw new StoError(
            `the chain disagrees with the scanned balances at block ${verification.block}: ${disagreement(verification, amount)}; ` +
              (verification.corrections > 0
                ? "corrections were recorded, but not every difference is explained"
                : "the scan is stored but unverified: run token-scan --reconcile to record corrections"),
            ExitCode.StateMismatch,
          );
        }
      }),
    );
}

/** One line: how many holders differ and by how much the supply does. */
function disagreement(verification: Verification, amount: (units: bigint) => string): string {
  const parts: string[] = [];
  if (verification.holdersDiffering > 0) parts.push(`${verification.holdersDiffering} of ${verification.holdersChecked} holders checked differ`);
  if (verification.totalSupply !== null && verification.totalSupply !== verification.scannedSupply) {
    parts.push(`totalSupply() is ${amount(verification.totalSupply)}, the events account for ${amount(verification.scannedSupply)}`);
  }
  if (verification.negativeBalances > 0) parts.push(`${verification.negativeBalances} balance(s) below zero by the events`);
  return parts.join(", ");
}

function reportVerification(
  verification: Verification,
  amount: (units: bigint) => string,
  info: (line: string) => void,
  warn: (line: string) => void,
): void {
  const { block } = verification;
  const supply = verification.totalSupply === null ? "the token has no totalSupply()" : "the total supply";
  switch (verification.status) {
    case "match":
      info(`Verified at block ${block}: ${verification.holdersChecked} holder balances and ${supply} agree with the chain`);
      return;
    case "partial":
      warn(
        `verified only ${verification.holdersChecked} holder balances at block ${block}` +
          (verification.holdersUnreadable > 0 ? ` (${verification.holdersUnreadable} balanceOf calls failed)` : ` (--verify-limit ${verification.holdersChecked + verification.holdersUnreadable})`) +
          ": the cap table is marked unverified",
      );
      return;
    case "reconciled":
    case "mismatch":
      warn(`the chain disagrees at block ${block}: ${disagreement(verification, amount)}`);
      for (const difference of verification.differences.slice(0, 10)) {
        const delta = difference.chain - difference.scanned;
        // A balance below zero is never shown as one: it is tokens sent that no event gave.
        const events = difference.scanned < 0n ? `events show ${amount(-difference.scanned)} more sent than received` : `events say ${amount(difference.scanned)}`;
        warn(
          `  ${checksumAddress(difference.address)}: ${events}, balanceOf says ${amount(difference.chain)} (${delta > 0n ? "+" : "-"}${amount(delta < 0n ? -delta : delta)})`,
        );
      }
      if (verification.holdersDiffering > 10) warn(`  … and ${verification.holdersDiffering - 10} more`);
      if (verification.cause) warn(`likely cause: ${verification.cause}`);
      if (verification.corrections > 0) {
        info(
          `Reconciled at block ${block}: recorded ${counted(verification.corrections, "correction")}; cap tables from block ${block} on equal balanceOf` +
            (verification.unexplained === null ? "" : ` except ${amount(verification.unexplained < 0n ? -verification.unexplained : verification.unexplained)} no Transfer event accounts for`),
        );
      }
      return;
  }
}

function verificationJson(verification: Verification, decimals: number | null): Record<string, unknown> {
  const units = (value: bigint) => value.toString();
  return {
    block: verification.block,
    status: verification.status,
    verified: verification.status === "match" || verification.status === "reconciled",
    totalSupplyUnits: verification.totalSupply === null ? null : units(verification.totalSupply),
    scannedSupplyUnits: units(verification.scannedSupply),
    holdersChanged: verification.holdersChanged,
    holdersKnown: verification.holdersKnown,
    holdersChecked: verification.holdersChecked,
    holdersUnreadable: verification.holdersUnreadable,
    holdersDiffering: verification.holdersDiffering,
    negativeBalances: verification.negativeBalances,
    differences: verification.differences.map((difference) => ({
      address: checksumAddress(difference.address),
      scannedUnits: units(difference.scanned),
      chainUnits: units(difference.chain),
      differenceUnits: units(difference.chain - difference.scanned),
      ...(decimals === null ? {} : { difference: exactAmount(difference.chain - difference.scanned, decimals) }),
    })),
    cause: verification.cause,
    corrections: verification.corrections,
    unexplainedUnits: verification.unexplained === null ? null : units(verification.unexplained),
    method: verification.method,
    requests: verification.requests,
    elapsedMs: verification.elapsedMs,
  };
}
