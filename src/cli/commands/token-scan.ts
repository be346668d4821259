import type { Command } from "commander";
import { StoError } from "../../errors";
import { TokenScanner, type Rollback, type ScanProgress } from "../../scan/scanner";
import { SqliteScanDatabase } from "../../scan/store";
import { action } from "../action";
import { parseAddress } from "../../input/address";
import { parseBlockNumber } from "../../input/numbers";
import { groupDigits, ProgressBar } from "../progress";

interface TokenScanOptions {
  tokenAddress: string;
  startBlock?: string;
  endBlock?: string;
}

export const TOKEN_SCAN_DESCRIPTION = `Update token holder balances from a blockchain to a local database.

Reads the ERC-20 Transfer events of a token (ours or any other) with eth_getLogs and stores every
transfer and every balance change exactly, so that cap-table can print the holders at any block.

If start block and end block are omitted, continues where the last scan ended, after checking that
the last scanned blocks are still on the chain: blocks replaced by a reorganisation are dropped and
scanned again. The first scan starts at the block that created the contract. Interrupting a scan
(Ctrl+C) is safe: what was stored stays, and the next run resumes from there.`;

export function register(program: Command): void {
  program
    .command("token-scan")
    .description(TOKEN_SCAN_DESCRIPTION)
    .requiredOption("--token-address <address>", "token contract address")
    .option("--start-block <block>", "the first block where we start (re)scan; what was stored from it on is dropped")
    .option("--end-block <block>", "until which block we scan: a block number or 'latest' (default)")
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

        const scanner = new TokenScanner(new SqliteScanDatabase(ctx.db()), transport, {
          network: ctx.config.network.name,
          chainId,
          tokenAddress,
          startBlock,
          endBlock,
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
          elapsedMs: result.elapsedMs,
        });
      }),
    );
}
