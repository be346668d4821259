/**
 * A scanned token of any number of holders written straight through the scanner's store (the same
 * writeChunk a token-scan calls, on either engine), without a chain: minting and transferring to a
 * million addresses on a local chain takes hours, writing the rows takes a minute. What the cap
 * table reads (token_holders, balance_changes, scan_blocks, scan_verifications) is exactly what a
 * scan of such a token would have written; only the events themselves are made up.
 */
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import type { StoDatabase } from "../db/database";
import { SqliteScanDatabase, type ScanDatabase, type StoredBlock } from "../scan/store";
import { PostgresScanDatabase } from "../scan/postgres-store";
import type { TransferEvent } from "../scan/transfer-log";
import { ZERO_ADDRESS } from "../scan/transfer-log";

export interface SyntheticToken {
  /** Checksummed, as token-scan stores it. */
  address: string;
  /** Holders with a positive balance at `lastBlock` (the treasury included). */
  holders: number;
  /** End of the first round: every holder has received its tokens, none has sent any yet. */
  pastBlock: number;
  lastBlock: number;
  events: number;
}

/** Transfers per synthetic block and blocks per writeChunk (about the scanner's own chunk size). */
const EVENTS_PER_BLOCK = 500;
const BLOCKS_PER_CHUNK = 10;

/** Distinct addresses cheaply (a keccak per address costs more than writing its rows): the seed's hash, then the index. */
function syntheticAddress(seed: string, index: number): string {
  let prefix = PREFIXES.get(seed);
  if (prefix === undefined) {
    prefix = keccak256(toUtf8Bytes(seed)).slice(2, 18);
    PREFIXES.set(seed, prefix);
  }
  return `0x${prefix}${(index + 1).toString(16).padStart(24, "0")}`;
}
const PREFIXES = new Map<string, string>();

/**
 * Writes a token with `holders` holders besides its treasury: block 1 mints the supply to the
 * treasury, the first round pays every holder a different amount (ending at `pastBlock`), the
 * second round has every tenth holder send part of it on, so that a cap table at `pastBlock` is a
 * past one. The scan ends with a passed check against the chain at `lastBlock`, so the cap table
 * is verified.
 */
export interface SyntheticOptions {
  chainId: number;
  holders: number;
  seed: string;
  network?: string;
  /** Pay amounts from a few values only, so that many holders share a balance (ties of the largest remainder method). */
  fewAmounts?: boolean;
  /** Holders that send all they have in the second round (zero balances, listed with --include-empty). */
  emptied?: number;
  /** Addresses that send without ever receiving (negative balances: evidence of missing events). */
  negatives?: number;
}

export async function writeSyntheticToken(db: StoDatabase, options: SyntheticOptions): Promise<SyntheticToken> {
  const scan: ScanDatabase = db.engine === "sqlite" ? new SqliteScanDatabase(db) : new PostgresScanDatabase(db);
  const address = getAddress(syntheticAddress(`${options.seed}/token`, 0));
  const treasury = syntheticAddress(options.seed, -1);
  const token = await scan.createToken({ network: options.network ?? "local", chainId: options.chainId, address, startBlock: 1, startsAtCreation: true });
  await scan.setMetadata(token.id, { name: `Synthetic ${options.holders}`, symbol: "SYN", decimals: 18 });
  return scan.withScanDurability(() => writeRows(scan, token.id, address, treasury, options));
}

async function writeRows(scan: ScanDatabase, tokenId: number, address: string, treasury: string, options: SyntheticOptions): Promise<SyntheticToken> {
  const store = scan.tokenStore(tokenId);
  const unit = 10n ** 18n;
  const supply = BigInt(options.holders) * 1_000n * unit;
  const baseTime = 1_700_000_000;
  let scannedTo = 0;
  let events = 0;
  let block = 1;
  let pending: { events: TransferEvent[]; blocks: StoredBlock[] } = { events: [], blocks: [] };
  let inBlock = 0;
  const touched = new Set<string>();
  const flush = async () => {
    if (pending.blocks.length === 0) return;
    const toBlock = pending.blocks[pending.blocks.length - 1].blockNumber;
    await store.writeChunk({ expectedScannedTo: scannedTo, toBlock, events: pending.events, blocks: pending.blocks }, touched);
    touched.clear();
    scannedTo = toBlock;
    pending = { events: [], blocks: [] };
  };
  const blockHash = (number: number) => keccak256(toUtf8Bytes(`${options.seed}/block/${number}`));
  const startBlock = async () => {
    pending.blocks.push({ blockNumber: block, blockHash: blockHash(block), timestamp: baseTime + block * 12 });
    inBlock = 0;
  };
  const transfer = async (from: string, to: string, value: bigint) => {
    if (inBlock === EVENTS_PER_BLOCK) {
      block += 1;
      if (pending.blocks.length === BLOCKS_PER_CHUNK) await flush();
      await startBlock();
    }
    pending.events.push({
      blockNumber: block,
      blockHash: blockHash(block),
      logIndex: inBlock,
      txHash: `0x${events.toString(16).padStart(64, "0")}`,
      from,
      to,
      value,
      blockTimestamp: baseTime + block * 12,
    });
    inBlock += 1;
    events += 1;
  };
  await startBlock();
  await transfer(ZERO_ADDRESS, treasury, supply);
  for (let index = 0; index < options.holders; index++) {
    // Different amounts (1 to 1,000 tokens and a fraction), so that sorting and rounding have work to do.
    const amount = options.fewAmounts ? BigInt((index % 7) + 1) * unit : BigInt((index * 7919) % 1_000 + 1) * unit + BigInt(index);
    await transfer(treasury, syntheticAddress(options.seed, index), amount);
  }
  const pastBlock = block;
  block += 1;
  if (pending.blocks.length === BLOCKS_PER_CHUNK) await flush();
  await startBlock();
  for (let index = 0; index < options.holders; index += 10) {
    await transfer(syntheticAddress(options.seed, index), syntheticAddress(options.seed, (index + 1) % options.holders), unit / 2n);
  }
  // Holders 3, 13, 23, …: they received but sent nothing above, so their balance is the first payment.
  for (let count = 0, index = 3; count < (options.emptied ?? 0) && index < options.holders; count++, index += 10) {
    const amount = options.fewAmounts ? BigInt((index % 7) + 1) * unit : BigInt((index * 7919) % 1_000 + 1) * unit + BigInt(index);
    await transfer(syntheticAddress(options.seed, index), treasury, amount);
  }
  for (let index = 0; index < (options.negatives ?? 0); index++) {
    await transfer(syntheticAddress(`${options.seed}/unfunded`, index), treasury, BigInt(index + 1) * unit);
  }
  await flush();
  const lastBlock = scannedTo;
  const balances = await store.balancesAt(lastBlock);
  let scanned = 0n;
  let holders = 0;
  for (const balance of balances.values()) {
    scanned += balance;
    if (balance > 0n) holders += 1;
  }
  await store.recordTotalSupply(supply, lastBlock);
  await store.recordVerification(
    { blockNumber: lastBlock, status: "match", totalSupply: supply, scannedSupply: scanned, holdersChecked: balances.size, holdersDiffering: 0, differences: [], cause: null },
    [],
  );
  return { address, holders, pastBlock, lastBlock, events };
}
