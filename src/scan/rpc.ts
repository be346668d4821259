/**
 * A minimal JSON-RPC client for the scanner. ethers' provider is not used on this path: the scanner
 * needs the node's raw error (code, message, data) to tell "range too large" from "try again", JSON-RPC
 * batches for block headers, and raw logs without per-log object construction.
 */

export interface RpcRequest {
  method: string;
  params: unknown[];
}

/** An error answer of the node (JSON-RPC error object). */
export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number | undefined,
    readonly rpcMessage: string,
    readonly data: unknown,
  ) {
    super(`${method}: ${rpcMessage}${code === undefined ? "" : ` (code ${code})`}`);
    this.name = "RpcError";
  }
}

/** The request did not get a JSON-RPC answer: connection failure, timeout, HTTP error status. */
export class TransportError extends Error {
  constructor(
    readonly method: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${method}: ${message}`);
    this.name = "TransportError";
  }
}

/** The node answered a JSON-RPC batch with something other than a batch: it does not take batches. */
export class BatchUnsupportedError extends TransportError {
  constructor(method: string, detail: string) {
    super(method, `the node does not accept JSON-RPC batches (${detail})`);
    this.name = "BatchUnsupportedError";
  }
}

export interface RpcClientOptions {
  /** Per-request timeout. */
  timeoutMs?: number;
}

interface JsonRpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

export class RpcClient {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private nextId = 1;

  constructor(url: string, options: RpcClientOptions = {}) {
    // fetch() refuses URLs with credentials; send them as a header, as ethers does.
    const parsed = new URL(url);
    this.headers = { "content-type": "application/json" };
    if (parsed.username || parsed.password) {
      const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
      parsed.username = "";
      parsed.password = "";
    }
    this.url = parsed.toString();
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const id = this.nextId++;
    const body = await this.post(method, JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    if (Array.isArray(body) || typeof body !== "object" || body === null) {
      throw new TransportError(method, "the node's answer is not a JSON-RPC response");
    }
    return unwrap<T>(method, body as JsonRpcResponse);
  }

  /**
   * Sends the requests as one JSON-RPC batch and returns each result or error in request order.
   * Throws a TransportError when the node does not answer with a batch (some providers refuse them).
   */
  async batch<T>(requests: RpcRequest[]): Promise<(T | RpcError)[]> {
    if (requests.length === 0) return [];
    const firstId = this.nextId;
    this.nextId += requests.length;
    const payload = requests.map((request, index) => ({
      jsonrpc: "2.0",
      id: firstId + index,
      method: request.method,
      params: request.params,
    }));
    const label = `${requests[0].method} batch`;
    const body = await this.post(label, JSON.stringify(payload));
    if (!Array.isArray(body)) {
      const error = (body as JsonRpcResponse | null)?.error;
      throw new BatchUnsupportedError(label, String(error?.message ?? "no array answer"));
    }
    const byId = new Map<number, JsonRpcResponse>();
    for (const item of body as JsonRpcResponse[]) {
      if (typeof item?.id === "number") byId.set(item.id, item);
    }
    return requests.map((request, index) => {
      const item = byId.get(firstId + index);
      if (!item) return new RpcError(request.method, undefined, "missing from the batch answer", undefined);
      try {
        return unwrap<T>(request.method, item);
      } catch (error) {
        if (error instanceof RpcError) return error;
        throw error;
      }
    });
  }

  private async post(label: string, body: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TransportError(label, describeFetchError(error));
    }
    // An answer cut short (connection reset mid-body) is a transport failure like any other:
    // no status, so that it is retried.
    const text = await response.text().catch((error: unknown) => {
      throw new TransportError(label, `reading the answer failed (${describeFetchError(error)})`);
    });
    if (!response.ok) {
      // Providers put the JSON-RPC error of a refused request in HTTP 4xx bodies too; keep it.
      const parsed = tryParse(text) as JsonRpcResponse | undefined;
      if (parsed && typeof parsed === "object" && parsed.error && response.status !== 429) {
        return parsed;
      }
      throw new TransportError(label, `HTTP ${response.status} ${response.statusText} ${text.slice(0, 200)}`.trim(), response.status);
    }
    const parsed = tryParse(text);
    if (parsed === undefined) throw new TransportError(label, `the answer is not JSON: ${text.slice(0, 100)}`);
    return parsed;
  }
}

function unwrap<T>(method: string, body: JsonRpcResponse): T {
  if (body.error) {
    const code = typeof body.error.code === "number" ? body.error.code : undefined;
    const message = typeof body.error.message === "string" ? body.error.message : JSON.stringify(body.error);
    throw new RpcError(method, code, message, body.error.data);
  }
  if (!("result" in body)) throw new RpcError(method, undefined, "answer without result", undefined);
  return body.result as T;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "timed out";
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${error.message}: ${cause.code}`;
  if (cause?.message) return `${error.message}: ${cause.message}`;
  return error.message;
}

/** What the scanner should do after a failed request. */
export type FailureKind =
  /** The node refuses the block range or the size of the answer: ask for fewer blocks. */
  | "too-large"
  /** Rate limits, timeouts, overloaded or lagging nodes: wait and ask again. */
  | "transient"
  /** Anything else: retrying cannot help. */
  | "fatal";

// Collected from Infura, Alchemy, QuickNode, Ankr, Chainstack, BlastAPI, Cloudflare, llamarpc, geth,
// Erigon, Nethermind, Besu and reth error answers to eth_getLogs.
const TOO_LARGE =
  /more than \d[\d,]* results|too many (results|logs|blocks)|result(s| set)? (is |are )?too (large|big)|response (size )?(is )?(too (large|big)|exceed)|size exceeded|log response size|block range|range (is )?too (large|wide|big)|range limit|max(imum)? (block )?range|exceeds? (the )?(max|limit)|limit exceeded|query timeout|max results|query returned more than|request (entity )?too large|payload too large|response too large|logs? (count )?limit|limited to|size should not|greater than \d+ bytes/i;

const RATE_LIMITED = /rate.?limit|too many requests|request count|requests? per second|compute units/i;

const TRANSIENT =
  /timed? ?out|timeout|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|network|rate.?limit|too many requests|capacity|throttl|busy|overload|try again|temporar|unavailable|bad gateway|gateway|header not found|unknown block|block not found|internal error|upstream|econnaborted/i;

/** A JSON-RPC refusal that only means "not so fast". */
export function isRateLimited(error: RpcError): boolean {
  return error.code === 429 || RATE_LIMITED.test(error.rpcMessage);
}

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof BatchUnsupportedError) return "fatal";
  if (error instanceof TransportError) {
    if (error.status === 413) return "too-large";
    if (error.status === undefined || error.status === 408 || error.status === 429 || error.status >= 500) return "transient";
    return TRANSIENT.test(error.message) ? "transient" : "fatal";
  }
  if (error instanceof RpcError) {
    // Rate limits first: "rate limit exceeded" and Infura's -32005 "request rate limited" are not
    // about the size of the answer.
    if (isRateLimited(error)) return "transient";
    if (error.code === -32005 || TOO_LARGE.test(error.rpcMessage)) return "too-large";
    if (error.code === 429 || error.code === -32603 || TRANSIENT.test(error.rpcMessage)) return "transient";
    return "fatal";
  }
  return "fatal";
}

/** What a refusal says about the range to ask for next. */
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
export function readRefusal(error: unknown): Refusal {
  if (!(error instanceof RpcError)) return { isRangeLimit: false };
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
