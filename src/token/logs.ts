import type { Filter, JsonRpcProvider, Log } from "ethers";
import type { StoDatabase } from "../db/database";
import { StoError } from "../errors";
import { ledgerOf } from "../tx/ledger";

/**
 * eth_getLogs over a block range, split into chunks: nodes and providers cap the range or the
 * number of results of one call, with different errors. A chunk that fails is halved and retried
 * down to a single block; only then does the error stop the command.
 */
export async function getLogsChunked(
  provider: JsonRpcProvider,
  filter: Omit<Filter, "fromBlock" | "toBlock">,
  fromBlock: number,
  toBlock: number,
  initialChunk = 10_000,
): Promise<Log[]> {
  const logs: Log[] = [];
  let start = fromBlock;
  let chunk = initialChunk;
  while (start <= toBlock) {
    const end = Math.min(toBlock, start + chunk - 1);
    try {
      logs.push(...(await provider.getLogs({ ...filter, fromBlock: start, toBlock: end })));
      start = end + 1;
    } catch (error) {
      if (end === start) {
        throw new StoError(`reading events of block ${start} failed: ${(error as Error).message.split("\n")[0]}`);
      }
      chunk = Math.max(1, Math.floor((end - start + 1) / 2));
    }
  }
  return logs;
}

/**
 * The block a contract was deployed in: from the audit database when we deployed it, or from
 * token-scan's record of the token's creation block; else 0 (reading from genesis is slower but
 * complete).
 */
export async function deploymentBlock(db: StoDatabase, network: string, address: string): Promise<number> {
  const deployed = (await ledgerOf(db).deploymentsAt(network, address)).filter((row) => row.status === "success").at(-1);
  if (deployed?.blockNumber !== undefined && deployed.blockNumber !== null) return deployed.blockNumber;
  const scanned = db.sqlite
    .prepare("SELECT start_block FROM scanned_tokens WHERE network = ? AND address = ? AND starts_at_creation = 1 LIMIT 1")
    .get(network, address) as { start_block: number } | undefined;
  return scanned?.start_block ?? 0;
}
