import { ExitCode, StoError } from "../errors";
import { AdaptiveBlockRange, type BlockRangeOptions } from "../chain/block-ranges";
import { hasCode, readErc20Metadata, readTotalSupply, TRANSFER_TOPIC } from "../chain/erc20";
import { readLogRange, type ReadRange } from "../chain/logs";
import { batchedReads } from "../chain/batched";
import { BatchUnsupportedError, NodeUnavailableError, RpcError, toBlockTag, type NodeClient, type RpcRequest } from "../chain/rpc";
import type { ScannedToken } from "../db/schema";
import type { ScanDatabase, ScanStore, StoredBlock } from "./store";
import { findCreationBlock } from "./token-info";
import { BalancePrefetch, DEFAULT_VERIFY_LIMIT, verifyScan, type Verification } from "./verify";
import { transferLogReader, type DecodeResult, type TransferEvent } from "./transfer-log";
import { InputError } from "../input/fields";

/** Events in an answer from which the scanner keeps a second eth_getLogs in flight (see scanRange). */
const PIPELINE_MIN_EVENTS = 1_000;

/** Blocks below the tip whose hashes are kept and re-checked: well past the original's 10-block look-back. */
export const DEFAULT_REORG_WINDOW = 64;

export interface ScanProgress {
  /** First and last block of this run. */
  fromBlock: number;
  endBlock: number;
  /** Last block stored so far. */
  scannedTo: number;
  /** Transfer events stored in this run so far. */
  events: number;
  /** Blocks the next request asks for. */
  rangeBlocks: number;
}

export interface ScanOptions {
  network: string;
  chainId: number;
  /** Checksummed token address. */
  tokenAddress: string;
  /** Rescan from this block (drops what was stored from it on). */
  startBlock?: number;
  /** Last block to scan; default the latest block. */
  endBlock?: number;
  reorgWindow?: number;
  blockRange?: BlockRangeOptions;
  /** First wait before reading again when the chain changed under a chunk (doubles up to 8 s). */
  chainChangeDelayMs?: number;
  /** Called once the range of this run is known, before the first request for events. */
  onStart?: (start: ScanStart) => void;
  /** Called after each stored chunk. */
  onProgress?: (progress: ScanProgress) => void;
  /** Things the user should know that do not stop the scan. */
  onNotice?: (message: string) => void;
  /**
   * The check against the chain at the block where the scan ends (scan/verify.ts): on unless
   * `false`; `limit` bounds the holders read, `reconcile` records corrections.
   */
  verify?: { limit?: number; reconcile?: boolean } | false;
  /** Called after each stored chunk and awaited (tests use it to change the chain mid-scan). */
  afterChunk?: (scannedTo: number) => Promise<void>;
}

export interface ScanStart {
  token: ScannedToken;
  latestBlock: number;
  previousScannedTo: number;
  fromBlock: number;
  endBlock: number;
  /** What was dropped before this run started (a reorganisation, or --start-block). */
  rollbacks: Rollback[];
}

export interface Rollback {
  /** First block whose data was dropped. */
  fromBlock: number;
  /** Last block that had been scanned. */
  toBlock: number;
  reason: "reorg" | "start-block";
}

export interface ScanResult {
  token: ScannedToken;
  latestBlock: number;
  /** Scanned range end before this run. */
  previousScannedTo: number;
  /** First block read in this run (after any rollback), and the block the run ended at. */
  fromBlock: number;
  toBlock: number;
  events: number;
  chunks: number;
  /** Distinct addresses whose balance changed in this run. */
  holdersUpdated: number;
  rollbacks: Rollback[];
  /** The check against the chain at `token.scannedToBlock`; undefined when verification is off or nothing is scanned. */
  verification?: Verification;
  elapsedMs: number;
}

interface BlockHeader {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
}

/** Raised inside the loop when the chain changed under a chunk; the loop resolves it and continues. */
class ChainChanged extends Error {}

/**
 * Reads a token's Transfer events into the database: resumes where the last run ended, checks that
 * the chain it scanned is still the chain (and rolls back what came from replaced blocks), adapts
 * the block range of each eth_getLogs to the node, and writes one transaction per chunk.
 */
export class TokenScanner {
  private readonly window: number;
  /** False once the node refused a JSON-RPC batch: headers and code are then read one request each. */
  private batches = true;
  /** balanceOf of the holders each chunk changed, read at the run's end block while the scan goes on. */
  private prefetch: BalancePrefetch | undefined;
  /** Decodes each eth_getLogs answer into the token's transfers (from its bytes where it can). */
  private readonly reader: ReturnType<typeof transferLogReader>;

  /**
   * `node` is the one transport (src/chain/rpc.ts): it retries what is worth retrying, so a
   * failure that reaches the scanner ends the run, with what was stored kept for the next.
   */
  constructor(
    private readonly db: ScanDatabase,
    private readonly node: NodeClient,
    private readonly options: ScanOptions,
  ) {
    this.window = Math.max(10, options.reorgWindow ?? DEFAULT_REORG_WINDOW);
    this.reader = transferLogReader(options.tokenAddress);
  }

  async scan(): Promise<ScanResult> {
    // Each chunk is one transaction, atomic with the scanned range's end, but need not survive a
    // power cut: the next run scans a lost chunk again.
    try {
      return await this.db.withScanDurability(() => this.scanWithSettings());
    } catch (error) {
      // No further reads; one in flight ends on its own.
      void this.prefetch?.stop();
      throw await this.withResumeAdvice(error);
    }
  }

  private async scanWithSettings(): Promise<ScanResult> {
    const started = Date.now();
    const { tokenAddress, network } = this.options;
    const latest = Number(await this.node.call<string>("eth_blockNumber", []));
    // Asked together with the code (one round trip for both); used only once the code is there.
    const reading = readErc20Metadata(this.node, tokenAddress, latest);
    reading.catch(() => undefined);
    if (!(await hasCode(this.node, tokenAddress, latest))) {
      throw new StoError(`no contract at ${tokenAddress} on network ${network} (chain id ${this.options.chainId}) at block ${latest}`);
    }
    const end = this.options.endBlock ?? latest;
    if (end > latest) {
      throw new InputError("endBlock", (field) => `${field("endBlock")} ${end} is after the latest block ${latest} of network ${network}`);
    }

    const metadata = await reading;
    const token = await this.prepareToken(latest, end);
    await this.db.setMetadata(token.id, metadata);
    const store = this.db.tokenStore(token.id);
    const rollbacks: Rollback[] = [];
    const previousScannedTo = token.scannedToBlock;

    if (this.options.startBlock !== undefined) {
      const rescan = await this.applyStartBlock(store, token, this.options.startBlock);
      if (rescan) rollbacks.push(rescan);
    } else {
      const reorg = await this.checkReorg(store);
      if (reorg) rollbacks.push(reorg);
    }

    const current = await this.db.getToken(token.id);
    const fromBlock = current.scannedToBlock + 1;
    const startBlock = current.startBlock;
    if (end < startBlock) {
      throw new InputError("endBlock", (field) => `${field("endBlock")} ${end} is before block ${startBlock}, the first block scanned for this token`);
    }
    this.options.onStart?.({
      token: current,
      latestBlock: latest,
      previousScannedTo,
      fromBlock,
      endBlock: end,
      rollbacks: [...rollbacks],
    });
    const touched = new Set<string>();
    let events = 0;
    let chunks = 0;
    const range = new AdaptiveBlockRange(this.options.blockRange);
    const verify = this.options.verify;
    const verifyLimit = verify === false ? 0 : (verify?.limit ?? DEFAULT_VERIFY_LIMIT);
    const rollbacksBefore = rollbacks.length;
    if (verify !== false && verifyLimit > 0) this.prefetch = new BalancePrefetch(this.node, tokenAddress, end, verifyLimit);

    // Scan, then make sure the blocks near the tip are still the chain's; a reorg found at the end
    // sends us back to scan the replaced part again, a bounded number of times.
    for (let pass = 0; ; pass++) {
      const counts = await this.scanRange(store, range, end, latest, fromBlock, touched);
      events += counts.events;
      chunks += counts.chunks;
      rollbacks.push(...counts.rollbacks);
      const reorg = await this.checkReorg(store);
      if (!reorg) break;
      rollbacks.push(reorg);
      if (pass >= 4) {
        throw new StoError(
          `the chain keeps reorganising near block ${reorg.fromBlock}: run token-scan again later`,
          ExitCode.Network,
        );
      }
    }

    const scanned = await this.db.getToken(token.id);
    const scannedTo = scanned.scannedToBlock;
    let verification: Verification | undefined;
    // Balances read before a reorganisation in this run may be of a replaced block.
    const prefetched = rollbacks.length === rollbacksBefore ? this.prefetch : undefined;
    await this.prefetch?.stop();
    if (scannedTo >= scanned.startBlock) {
      const totalSupply = await readTotalSupply(this.node, tokenAddress, scannedTo);
      await store.recordTotalSupply(totalSupply, scannedTo);
      if (verify !== false) {
        verification = await verifyScan({
          node: this.node,
          store,
          tokenAddress,
          block: scannedTo,
          totalSupply,
          changed: touched,
          startsAtCreation: scanned.startsAtCreation,
          limit: verifyLimit,
          reconcile: verify?.reconcile ?? false,
          prefetched,
        });
      }
    }
    return {
      token: await this.db.getToken(token.id),
      latestBlock: latest,
      previousScannedTo,
      fromBlock,
      toBlock: Math.max(scannedTo, fromBlock - 1),
      events,
      chunks,
      holdersUpdated: touched.size,
      rollbacks,
      verification,
      elapsedMs: Date.now() - started,
    };
  }

  /** The token's row, created on the first scan with the range starting at the contract's creation. */
  private async prepareToken(latest: number, end: number): Promise<ScannedToken> {
    const { chainId, tokenAddress, network } = this.options;
    const existing = await this.db.findToken(chainId, tokenAddress);
    if (existing) return existing;
    let start = this.options.startBlock;
    // Refused before the token's row exists: a first scan that cannot run must not fix its start.
    if (start !== undefined && start > end) {
      const first = start;
      throw new InputError("startBlock", (field) => `${field("startBlock")} ${first} is after the last block to scan, ${end}: nothing to scan`);
    }
    let startsAtCreation = false;
    if (start === undefined) {
      const creation = await findCreationBlock((blocks) => this.codeAt(blocks), latest);
      if (creation === undefined) {
        this.options.onNotice?.(
          "the node keeps no historical state, so the contract's creation block is unknown: scanning from block 0",
        );
        start = 0;
      } else {
        start = creation;
        startsAtCreation = true;
      }
    }
    return this.db.createToken({ network, chainId, address: tokenAddress, startBlock: start, startsAtCreation });
  }

  /** A start block on a token scanned before: drop what was stored from that block on, keep the range contiguous. */
  private async applyStartBlock(store: ScanStore, token: ScannedToken, start: number): Promise<Rollback | undefined> {
    if (start > token.scannedToBlock + 1) {
      throw new InputError(
        "startBlock",
        (field) =>
          `${field("startBlock")} ${start} would leave blocks ${token.scannedToBlock + 1}-${start - 1} unscanned: the database holds blocks ${token.startBlock}-${token.scannedToBlock} of this token; use ${field("startBlock")} ${token.scannedToBlock + 1} or lower`,
      );
    }
    if (start === token.scannedToBlock + 1) return undefined;
    await store.rollbackTo(start - 1);
    if (start < token.startBlock) await this.db.restartAt(token.id, start);
    return { fromBlock: start, toBlock: token.scannedToBlock, reason: "start-block" };
  }

  /**
   * Compares the remembered hashes of the blocks near the end of the scanned range with the node's.
   * All of them, not only the last: a scan that crossed a reorganisation may hold blocks of two
   * chains, and the last one can be on the right chain while an earlier one is not. When one
   * differs, everything from the lowest differing block on is dropped, back to the highest
   * remembered block below it that is still on the chain (walking further down if needed).
   */
  private async checkReorg(store: ScanStore): Promise<Rollback | undefined> {
    const token = await this.db.getToken(store.tokenId);
    const recent = await store.blocksDescending(token.scannedToBlock, this.window);
    if (recent.length === 0) return undefined; // nothing remembered yet
    const canonical = await this.headers(recent.map((block) => block.blockNumber));
    const onChain = (block: StoredBlock, headers: Map<number, BlockHeader>) =>
      headers.get(block.blockNumber)?.hash.toLowerCase() === block.blockHash;
    let lowestReplaced = -1;
    recent.forEach((block, index) => {
      if (!onChain(block, canonical)) lowestReplaced = index;
    });
    if (lowestReplaced < 0) return undefined;

    let keep: number | undefined;
    if (lowestReplaced < recent.length - 1) {
      keep = recent[lowestReplaced + 1].blockNumber;
    } else {
      // The replaced part reaches below the window: walk down the remembered blocks.
      let below = recent[recent.length - 1].blockNumber - 1;
      while (keep === undefined) {
        const older = await store.blocksDescending(below, 200);
        if (older.length === 0) break;
        const headers = await this.headers(older.map((block) => block.blockNumber));
        keep = older.find((block) => onChain(block, headers))?.blockNumber;
        below = older[older.length - 1].blockNumber - 1;
      }
    }
    const target = keep ?? token.startBlock - 1;
    await store.rollbackTo(target);
    return { fromBlock: target + 1, toBlock: token.scannedToBlock, reason: "reorg" };
  }

  private async scanRange(
    store: ScanStore,
    range: AdaptiveBlockRange,
    end: number,
    latest: number,
    runFrom: number,
    touched: Set<string>,
  ): Promise<{ events: number; chunks: number; rollbacks: Rollback[] }> {
    let events = 0;
    let chunks = 0;
    const rollbacks: Rollback[] = [];
    // Requests for logs in flight, in block order, each planned to end at `to`. Where answers are
    // large, two at a time, so that the node always has the next range to serve: while sto reads
    // and decodes one answer and writes its chunk, the node is already serving the range after
    // the next (with one in flight, the node sat idle while each answer was read and decoded,
    // about 15% of a scan against Hardhat). Where they are small, one: a second request planned
    // before the answer to the first is known probes a node's range limit once more for nothing.
    // And one while the range is still finding its size (AdaptiveBlockRange.settled): two requests
    // planned on the same stale estimate overshot together where a token's transfers grow denser.
    const inFlight: { from: number; to: number; logs: Promise<ReadRange<DecodeResult>> }[] = [];
    let nextFrom = (await this.db.getToken(store.tokenId)).scannedToBlock + 1;
    let depth = 1;
    const request = () => {
      while (inFlight.length < depth && nextFrom <= end) {
        const { from, to } = range.next(nextFrom, end);
        const logs = this.fetchLogs(range, from, end, to);
        logs.catch(() => undefined);
        inFlight.push({ from, to, logs });
        nextFrom = to + 1;
      }
    };
    const restartFrom = (block: number) => {
      // Answers still in flight are dropped unread (each has its rejection handled).
      inFlight.length = 0;
      nextFrom = block;
    };
    let changes = 0;
    request();
    while (inFlight.length > 0) {
      const planned = inFlight.shift() as (typeof inFlight)[number];
      const fetched = await planned.logs;
      // The node refused the planned range and a smaller one was read: the next request in flight
      // does not continue it.
      if (fetched.to !== planned.to) restartFrom(fetched.to + 1);
      const decoded = fetched.value;
      if (decoded.nonFungible > 0 && decoded.events.length === 0) {
        throw new StoError(
          `${this.options.tokenAddress} emits ERC-721 Transfer events (token ids, not amounts): it is not an ERC-20 token`,
        );
      }
      range.succeeded(fetched.to - fetched.from + 1, decoded.events.length);
      depth = decoded.events.length >= PIPELINE_MIN_EVENTS && range.settled ? 2 : 1;
      // This chunk's block headers are asked for before the next range: a node that serves one
      // request at a time answers them before it starts on that range. (Asked for after it, with
      // nothing else queued, the node sat idle while the chunk was written: the scan took the
      // node's time plus sto's, instead of the longer of the two.)
      const previous = await store.storedBlock(fetched.from - 1);
      const blocks = this.chunkBlocks(decoded.events, fetched.from, fetched.to, latest, previous);
      blocks.catch(() => undefined);
      request();
      try {
        // The chunk's own set only for the balance reads: without them (--no-verify) the store adds
        // to the run's set directly (100,000 new holders were added to two sets). A chunk that fails
        // fails the run, except ChainChanged, which `await blocks` throws before anything is written.
        const changed = this.prefetch ? new Set<string>() : touched;
        const chunkBlocks = await blocks;
        await store.writeChunk({ expectedScannedTo: fetched.from - 1, toBlock: fetched.to, events: decoded.events, blocks: chunkBlocks }, changed);
        if (changed !== touched) {
          for (const address of changed) touched.add(address);
          this.prefetch?.offer(changed);
        }
      } catch (error) {
        if (!(error instanceof ChainChanged)) throw error;
        restartFrom(end + 1);
        if (++changes > 5) {
          throw new StoError(`the chain keeps changing under the scan near block ${fetched.from}: run token-scan again later`, ExitCode.Network);
        }
        // A lagging node catches up in a moment; a reorganisation shows in the remembered hashes.
        await sleep(this.backoff(changes));
        const reorg = await this.checkReorg(store);
        if (reorg) rollbacks.push(reorg);
        restartFrom((await this.db.getToken(store.tokenId)).scannedToBlock + 1);
        request();
        continue;
      }
      events += decoded.events.length;
      chunks++;
      this.options.onProgress?.({
        fromBlock: runFrom,
        endBlock: end,
        scannedTo: fetched.to,
        events,
        rangeBlocks: range.blocks,
      });
      if (this.options.afterChunk) await this.options.afterChunk(fetched.to);
    }
    return { events, chunks, rollbacks };
  }

  /**
   * The blocks of a chunk to remember: those with events (their time dates the balance changes), the
   * chunk's first and last block and, near the tip, every block. Fails with ChainChanged when a log's
   * block hash is not the block's hash any more, or when the chunk does not continue the chain the
   * previous chunk ended on.
   */
  private async chunkBlocks(
    events: TransferEvent[],
    from: number,
    to: number,
    latest: number,
    previous: StoredBlock | undefined,
  ): Promise<StoredBlock[]> {
    const hashes = new Map<number, string>();
    const times = new Map<number, number>();
    for (const event of events) {
      const known = hashes.get(event.blockNumber);
      if (known !== undefined && known !== event.blockHash) throw new ChainChanged();
      hashes.set(event.blockNumber, event.blockHash);
      if (event.blockTimestamp !== undefined) times.set(event.blockNumber, event.blockTimestamp);
    }
    const wanted = new Set<number>();
    for (const block of hashes.keys()) if (!times.has(block)) wanted.add(block);
    // The first and last block of every chunk: the first links the chunk to the previous one (and
    // dates the start of the scanned range for --at-date), the last anchors the next link.
    wanted.add(from);
    wanted.add(to);
    for (let block = Math.max(from, latest - this.window + 1); block <= to; block++) wanted.add(block);
    const headers = await this.headers([...wanted]);
    // The chunk must continue the chain the previous chunk ended on.
    const first = headers.get(from);
    if (previous && first && first.parentHash.toLowerCase() !== previous.blockHash) throw new ChainChanged();
    const blocks: StoredBlock[] = [];
    for (const block of new Set([...hashes.keys(), ...wanted])) {
      const header = headers.get(block);
      const logHash = hashes.get(block);
      if (header) {
        if (logHash !== undefined && header.hash.toLowerCase() !== logHash) throw new ChainChanged();
        blocks.push({ blockNumber: block, blockHash: header.hash.toLowerCase(), timestamp: Number(header.timestamp) });
      } else if (logHash !== undefined) {
        const timestamp = times.get(block);
        if (timestamp === undefined) throw new ChainChanged();
        blocks.push({ blockNumber: block, blockHash: logHash, timestamp });
      } else {
        // The node does not know a block below its own head: it was replaced, or this node lags.
        throw new ChainChanged();
      }
    }
    return blocks;
  }

  /** Whether the token has code at each of `blocks`: one JSON-RPC batch where the node accepts them. */
  private async codeAt(blocks: number[]): Promise<boolean[]> {
    const { tokenAddress } = this.options;
    const answers = await this.reads<string>(blocks.map((block) => ({ method: "eth_getCode", params: [tokenAddress, toBlockTag(block)] })));
    // An error inside a batch is asked again on its own: its answer there is the node's word.
    return Promise.all(
      answers.map((answer, index) => (answer instanceof RpcError ? hasCode(this.node, tokenAddress, blocks[index]) : typeof answer === "string" && answer !== "0x" && answer !== "")),
    );
  }

  /**
   * Read requests in JSON-RPC batches (batchedReads: requests a batch answer left out or refused as
   * too large are asked again alone); once the node refuses a batch, one request at a time for the
   * rest of the scan, said once.
   */
  private reads<T>(requests: RpcRequest[]): Promise<(T | RpcError)[]> {
    return batchedReads<T>(this.node, requests, {
      batches: this.batches,
      onBatchRefused: () => {
        this.batches = false;
        this.options.onNotice?.("the node does not accept JSON-RPC batches: reading block headers one by one");
      },
    });
  }

  /** Block headers by number, in JSON-RPC batches where the node accepts them; blocks the node does not know are absent. */
  private async headers(numbers: number[]): Promise<Map<number, BlockHeader>> {
    const result = new Map<number, BlockHeader>();
    const BATCH = 100;
    for (let offset = 0; offset < numbers.length; offset += BATCH) {
      const slice = numbers.slice(offset, offset + BATCH);
      const answers = await this.fetchHeaders(slice);
      slice.forEach((number, index) => {
        const header = answers[index];
        if (header) result.set(number, header);
      });
    }
    return result;
  }

  private async fetchHeaders(numbers: number[]): Promise<(BlockHeader | null)[]> {
    const answers = await this.reads<BlockHeader | null>(numbers.map((number) => ({ method: "eth_getBlockByNumber", params: [toBlockTag(number), false] })));
    const failed = answers.find((answer): answer is RpcError => answer instanceof RpcError);
    if (failed) throw failed;
    return answers as (BlockHeader | null)[];
  }

  /**
   * The token's Transfer events from `from` on: the one eth_getLogs (src/chain/logs.ts), which
   * shrinks refused ranges, decoded from the answer's bytes where the transport hands them over.
   */
  private fetchLogs(range: AdaptiveBlockRange, from: number, end: number, plannedTo?: number): Promise<ReadRange<DecodeResult>> {
    return readLogRange(this.node, { address: this.options.tokenAddress, topics: [TRANSFER_TOPIC] }, range, from, end, this.reader, plannedTo);
  }

  private backoff(attempt: number): number {
    const initial = this.options.chainChangeDelayMs ?? 250;
    const delay = Math.min(8_000, initial * 2 ** (attempt - 1));
    return delay / 2 + Math.random() * (delay / 2);
  }

  /** A node failure ends the run; what was stored stays, and the message says so. */
  private async withResumeAdvice(error: unknown): Promise<unknown> {
    if (!(error instanceof NodeUnavailableError) && !(error instanceof RpcError) && !(error instanceof BatchUnsupportedError)) return error;
    const token = await this.db.findToken(this.options.chainId, this.options.tokenAddress).catch(() => undefined);
    const saved =
      token && token.scannedToBlock >= token.startBlock
        ? `blocks up to ${token.scannedToBlock} are saved: run token-scan again to resume`
        : undefined;
    if (error instanceof NodeUnavailableError) return saved ? new NodeUnavailableError(error.summary, saved) : error;
    // The node answered a request it should have served with an error (or refused batches midway).
    return new StoError(`${error.message}${saved ? `; ${saved}` : ""}`, ExitCode.Network);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
