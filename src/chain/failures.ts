/**
 * What a node's error answer means, decided in one place: "not now" (the transport retries it),
 * "ask for less" (the eth_getLogs reader shrinks its range), "no such function / reverted" (a
 * contract's answer, for the callers that probe optional functions), or anything else (an answer
 * the caller must stop on).
 */

// Collected from Infura, Alchemy, QuickNode, Ankr, Chainstack, BlastAPI, Cloudflare, llamarpc, geth,
// Erigon, Nethermind, Besu and reth error answers to eth_getLogs.
const TOO_LARGE =
  /more than \d[\d,]* results|too many (results|logs|blocks)|result(s| set)? (is |are )?too (large|big)|response (size )?(is )?(too (large|big)|exceed)|size exceeded|log response size|block range|range (is )?too (large|wide|big)|range limit|max(imum)? (block )?range|exceeds? (the )?(max|limit)|limit exceeded|query timeout|max results|query returned more than|request (entity )?too large|payload too large|response too large|logs? (count )?limit|limited to|size should not|greater than \d+ bytes/i;

const RATE_LIMITED = /rate.?limit|too many requests|request count|requests? per second|compute units|request limit|exceeded .*(quota|capacity|rate|credits)|capacity exceeded/i;

/** Answers that are deterministic even when they look like "not now": retrying only delays the caller that knows what to do. */
const NEVER_TRANSIENT = /revert|invalid|nonce|underpriced|insufficient|already known|intrinsic|gas limit|fee/i;

const TRANSIENT =
  /timed? ?out|timeout|temporarily unavailable|temporar|try again|service unavailable|unavailable|overloaded|server busy|busy|throttl|capacity|header not found|unknown block|block not found|upstream|bad gateway|gateway/i;

/**
 * A node's "not one more from this account now" to eth_sendRawTransaction: its pool, or this
 * account's share of it, is full. Nothing is wrong with the transaction; it fits once blocks have
 * mined some of those ahead of it. The exact words, per node:
 * - geth (and op-geth, bor): "txpool is full" (ErrTxPoolOverflow), "account limit exceeded"
 *   (ErrAccountLimitExceeded), "future transaction tries to replace pending" (a full pool evicting
 *   in favour of a gapped one), "in-flight transaction limit reached for delegated accounts";
 * - reth: "txpool is full", "transaction pool is full";
 * - Erigon: "pending sub-pool is full", "baseFee sub-pool is full", "queued sub-pool is full",
 *   "spammer" (the sender holds more than its account slots);
 * - Nethermind: "nonce too far in future" / "NonceTooFarInFuture" (beyond MaxPendingTxsPerSender);
 * - Besu: "Transaction nonce is too distant from current sender nonce" (tx-pool-max-future-by-sender);
 * - OpenEthereum: "There are too many transactions in the queue" (-32010);
 * - hosted providers and other pools: "too many pending transactions", "mempool is full",
 *   "sender mempool quota exceeded".
 */
const POOL_FULL =
  /txpool is full|(transaction|tx) ?pool is full|mempool is full|sub-pool is full|account limit exceeded|in-flight transaction limit reached|future transaction tries to replace pending|\bspammer\b|nonce too far in (the )?future|noncetoofarinfuture|nonce is too distant|too many (pending )?transactions( in the queue)?|too many pending|mempool quota exceeded|pending transactions? limit/i;

/** The pool, or this account's share of it, is full: wait for the next block and send the same bytes again. */
export function isPoolFull(message: string): boolean {
  return POOL_FULL.test(message);
}

/**
 * A batch item's error that is about the batch, not about the request in it: the batch is larger
 * than the node or provider takes (geth "batch too large", Alchemy "Batch size is too large",
 * "batch limit exceeded"), batches are off ("batch requests are not supported"), or the answer
 * grew too large (geth's -32003 "response too large"; HTTP 413). The request was not handled:
 * it is sent again, in a smaller batch or alone.
 */
export function isBatchRefusal(error: NodeErrorAnswer): boolean {
  const message = String(error.message ?? "");
  return /\bbatch/i.test(message) || error.code === 413 || /response (size )?(is )?too (large|big)|response size exceeded/i.test(message);
}

/** Methods that only read blocks and logs: an "internal error" there is the node's trouble, not an answer about our request. */
const BLOCK_READS = new Set(["eth_getLogs", "eth_getBlockByNumber", "eth_getBlockByHash", "eth_blockNumber"]);

export interface NodeErrorAnswer {
  code?: number;
  message?: string;
}

/** A JSON-RPC refusal that only means "not so fast". */
export function isRateLimited(error: NodeErrorAnswer): boolean {
  return error.code === 429 || RATE_LIMITED.test(String(error.message ?? ""));
}

/** A JSON-RPC error that says "too much at once": a range or result limit of eth_getLogs (or HTTP 413). */
export function isTooLarge(error: NodeErrorAnswer): boolean {
  if (isRateLimited(error)) return false; // Infura's -32005 "request rate limited" is not about size.
  return error.code === -32005 || error.code === 413 || TOO_LARGE.test(String(error.message ?? ""));
}

/**
 * JSON-RPC errors that say "not now" rather than "no": rate limits, overloaded or lagging backends.
 * The transport retries them for every request.
 */
export function isTransientRpcError(error: NodeErrorAnswer, method = ""): boolean {
  const message = String(error.message ?? "");
  // Retrying at once only meets the same full pool: the sender waits for a block instead.
  if (isPoolFull(message)) return false;
  if (isRateLimited(error)) return !NEVER_TRANSIENT.test(message) || error.code === 429;
  if (isTooLarge(error) || NEVER_TRANSIENT.test(message)) return false;
  if (BLOCK_READS.has(method) && (error.code === -32603 || /internal error/i.test(message))) return true;
  return TRANSIENT.test(message);
}

/**
 * Failures on the way to the node rather than answers from it — a refused or reset connection, a
 * timeout, an HTTP error status, a rate limit — as they read in an error's text.
 */
const TRANSPORT_FAILURE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up|timed? ?out|network error|\b429\b|too many requests|rate limit|\b50[0234]\b|bad gateway|service unavailable|gateway timeout|internal server error|fetch failed/i;

/**
 * "Not now" for an error known only by its text (what ethers makes of a failed
 * eth_sendRawTransaction): the way to the node failed, or the node's answer is one the transport
 * would retry. The send's own kinds (nonce, fees, funds) are told apart before this is asked.
 */
export function isTransientFailure(message: string): boolean {
  return TRANSPORT_FAILURE.test(message) || isTransientRpcError({ message });
}

/** What a "too large" refusal says about the range to ask for next. */
export interface Refusal {
  /** Blocks the node said it would accept, when it said so. */
  blocks?: number;
  /** The node limits the block range itself (not the size of the answer): the limit holds for the whole scan. */
  isRangeLimit: boolean;
}

/**
 * Reads a "too large" refusal: Alchemy names a working range ("this block range should work:
 * [0x1, 0x2]"), Infura puts one in the error data ({from, to}), others state their range limit
 * ("exceed maximum block range: 1000", "limited to a 10,000 range") or just refuse ("block range
 * is too wide").
 */
export function readRefusal(error: { rpcMessage: string; data: unknown }): Refusal {
  const message = error.rpcMessage;
  const isRangeLimit = isRangeLimitMessage(message);
  const bracket = message.match(/\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i);
  if (bracket) {
    const blocks = Number(BigInt(bracket[2]) - BigInt(bracket[1])) + 1;
    if (blocks >= 1) return { blocks, isRangeLimit };
  }
  const data = error.data as { from?: unknown; to?: unknown } | undefined;
  if (data && typeof data.from === "string" && typeof data.to === "string") {
    try {
      const blocks = Number(BigInt(data.to) - BigInt(data.from)) + 1;
      if (blocks >= 1) return { blocks, isRangeLimit };
    } catch {
      // Not numbers: no suggestion.
    }
  }
  if (isRangeLimit) {
    const limit = message.match(/(\d[\d,]*)/);
    if (limit) {
      const blocks = Number(limit[1].replace(/,/g, ""));
      if (Number.isSafeInteger(blocks) && blocks >= 1) return { blocks, isRangeLimit };
    }
  }
  return { isRangeLimit };
}

/** "block range is too wide", "exceed maximum block range: 1000": a limit on blocks, not on results. */
export function isRangeLimitMessage(message: string): boolean {
  return /range/i.test(message) && !/\bresults?\b|\blogs?\b|size|response/i.test(message);
}

/**
 * An ethers error that is the contract's answer to a call — it reverted, or it has no such
 * function (empty return data) — as opposed to a node that failed. Callers probing optional
 * functions treat the first as "absent" and must let the second through (exit 3).
 */
export function isContractAnswer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "CALL_EXCEPTION" || code === "BAD_DATA";
}
