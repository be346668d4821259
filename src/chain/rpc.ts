/**
 * The one JSON-RPC transport: every request sto sends to a node (ethers' provider, the scanner,
 * the ERC-20 reads, eth_getLogs) goes through `JsonRpcTransport`, which owns the retries, the
 * timeouts and the bounds on what a node may answer.
 */
import http from "node:http";
import https from "node:https";
import { isAscii } from "node:buffer";
import type { JsonRpcError, JsonRpcPayload, JsonRpcResult } from "ethers";
import { ExitCode, StoError } from "../errors";
import { isTransientRpcError } from "./failures";

/** Hides credentials in node URLs (Infura-style project ids in paths, user:password, query keys). */
export function describeNodeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // Any path, query or fragment may hold an API key (Infura's /v3/KEY, Alchemy's /v2/KEY, ?apikey=):
    // none of it is shown, only that there was one.
    const hidden = (parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search !== "" || parsed.hash !== "";
    return `${parsed.protocol}//${parsed.host}${hidden ? "/…" : ""}`;
  } catch {
    return "(invalid url)";
  }
}

/** How hard a JSON-RPC request is retried: one policy for every request of every command. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** Time allowed for one attempt, response body included. */
  timeoutMs: number;
  /** First backoff delay; doubled after each failure, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No new attempt starts after this much time has passed since the first. */
  budgetMs: number;
  /**
   * Attempts while every failure is "connection refused": a node that is not running at all is
   * reported quickly, while one that is up but flaky gets every attempt.
   */
  refusedAttempts?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 8,
  timeoutMs: 30_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  budgetMs: 180_000,
};

/**
 * The policy, tunable from the environment for slow nodes and for the fault-injection tests:
 * STO_RPC_TIMEOUT (seconds per attempt) and STO_RPC_ATTEMPTS. Invalid values are errors, not
 * silently ignored, so a typo cannot turn retries off.
 */
export function retryPolicyFromEnvironment(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  const timeout = env.STO_RPC_TIMEOUT;
  if (timeout !== undefined && timeout !== "") {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      throw new StoError(`environment variable STO_RPC_TIMEOUT: "${timeout.slice(0, 20)}" is not a number of seconds between 0 and 3600`);
    }
    policy.timeoutMs = Math.ceil(seconds * 1000);
  }
  const attempts = env.STO_RPC_ATTEMPTS;
  if (attempts !== undefined && attempts !== "") {
    if (!/^[0-9]{1,3}$/.test(attempts) || Number(attempts) < 1 || Number(attempts) > 100) {
      throw new StoError(`environment variable STO_RPC_ATTEMPTS: "${attempts.slice(0, 20)}" is not a whole number between 1 and 100`);
    }
    policy.attempts = Number(attempts);
  }
  // The budget grows with the timeout so that a slow node still gets every attempt.
  policy.budgetMs = Math.max(DEFAULT_RETRY_POLICY.budgetMs, policy.timeoutMs * policy.attempts);
  return policy;
}

/**
 * The node could not be used: it stayed unreachable or kept failing after every retry, refused
 * us permanently (HTTP 401/403/404), or answered with something no node sends (an answer beyond
 * the size bounds, a number of megabytes). Exit code 3; nothing half-done is left behind, so
 * running the same command again resumes.
 */
export class NodeUnavailableError extends StoError {
  /** What failed, without the advice: callers that know better advice (token-scan) replace it. */
  readonly summary: string;

  constructor(summary: string, advice?: string) {
    super(advice ? `${summary}; ${advice}` : summary, ExitCode.Network);
    this.name = "NodeUnavailableError";
    this.summary = summary;
  }
}

/** Whether an error means "the node failed" (as opposed to an answer such as a revert). */
export function isNodeUnavailable(error: unknown): error is NodeUnavailableError {
  return error instanceof NodeUnavailableError;
}

/** An error answer of the node (a JSON-RPC error object): the node is up and said no. */
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

/**
 * A request of a batch the node's answer left out (a shorter answer, an item without its id):
 * the node may or may not have handled it.
 */
export class MissingFromBatchError extends RpcError {
  constructor(method: string) {
    super(method, undefined, "missing from the batch answer", undefined);
    this.name = "MissingFromBatchError";
  }
}

/** The node answered a JSON-RPC batch with something other than a batch: it does not take batches. */
export class BatchUnsupportedError extends Error {
  constructor(method: string, detail: string) {
    super(`${method}: the node does not accept JSON-RPC batches (${detail})`);
    this.name = "BatchUnsupportedError";
  }
}

export interface RpcRequest {
  method: string;
  params: unknown[];
}

/**
 * What the node layer offers above raw payloads: a result or the node's error answer as an
 * RpcError; a node that cannot be used is a NodeUnavailableError. `JsonRpcTransport` is the real
 * one; `nodeClient` adapts a plain ethers provider (tests and library users build their own).
 */
export interface NodeClient {
  call<T>(method: string, params: unknown[]): Promise<T>;
  /**
   * `call` with the result read by `reader` straight from the answer's bytes (JsonRpcTransport has
   * it; other clients may leave it out, and callers then use `call`).
   */
  callReading?<T>(method: string, params: unknown[], reader: AnswerReader<T>): Promise<T>;
  /** Each result or error in request order; BatchUnsupportedError when the node refuses batches. */
  batch<T>(requests: RpcRequest[]): Promise<(T | RpcError)[]>;
}

/** What `AnswerReader.fromBytes` returns when it is not sure of an answer: the generic path reads it. */
export const FALLBACK: unique symbol = Symbol("fallback");

/**
 * Reads a method's result from the bytes of a successful answer (HTTP 2xx), sparing JSON.parse and
 * the objects it builds. `fromBytes` must return FALLBACK for anything it is not certain of — an
 * error answer above all — and the transport then parses the same bytes as `call` does (the same
 * retries of "not now" answers, the same RpcError for an error answer) and hands the result to
 * `fromResult`. Both must give the same value for the same answer.
 */
export interface AnswerReader<T> {
  fromBytes(bytes: Buffer): T | typeof FALLBACK;
  fromResult(result: unknown): T;
}

/** An answer `AnswerReader.fromBytes` read. */
class ReadAnswer<T> {
  constructor(readonly value: T) {}
}

type Answer = JsonRpcResult | JsonRpcError | (JsonRpcResult | JsonRpcError)[];

/** An exchange without a reader: never a ReadAnswer. */
function plain(answer: Answer | ReadAnswer<unknown>): Answer {
  if (answer instanceof ReadAnswer) throw new Error("an answer read without a reader");
  return answer;
}

export function toBlockTag(block: number | "latest"): string {
  return block === "latest" ? "latest" : `0x${block.toString(16)}`;
}

/**
 * The largest answer read from a node. eth_getLogs answers are large by nature (the scanner aims
 * at 5,000 events, about 5 MB, and a node may ignore that); nothing else sto asks for comes near
 * a megabyte (a receipt of a 2,000-receiver batch transfer is about 1.2 MB). Beyond the bound the
 * connection is cut: a hostile or broken node cannot make the process buffer gigabytes.
 */
export const MAX_ANSWER_BYTES = { getLogs: 256 * 1024 * 1024, other: 16 * 1024 * 1024 } as const;

/** Methods whose result is one number (a hex quantity of at most 256 bits). */
const QUANTITY_METHODS = new Set([
  "eth_chainId",
  "eth_blockNumber",
  "eth_getTransactionCount",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_estimateGas",
  "eth_getBalance",
]);

/**
 * The JSON-RPC transport of every chain call: each request is POSTed with a hard timeout (the
 * socket is destroyed, so a hung node cannot keep the process alive), and transient failures —
 * connection refused or reset, timeouts, HTTP 408/425/429/5xx, unparseable bodies and JSON-RPC
 * "not now" errors (src/chain/failures.ts) — are retried with exponential backoff and jitter,
 * within the policy's bounds. Anything else is returned unchanged (a revert, "nonce too low",
 * "query returned more than 10000 results" are answers, not failures).
 *
 * Retrying is safe because every request sto makes is a read, except eth_sendRawTransaction,
 * whose resend of the same bytes the node answers with "already known" or "nonce too low",
 * which tx-broadcast resolves by looking its recorded hashes up.
 */
export class JsonRpcTransport implements NodeClient {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #agent: http.Agent;
  readonly #policy: RetryPolicy;
  readonly #debug?: (message: string) => void;
  #nextId = 1;
  #closed = false;

  constructor(url: string, policy: RetryPolicy = DEFAULT_RETRY_POLICY, debug?: (message: string) => void) {
    this.#url = new URL(url);
    if (this.#url.protocol !== "http:" && this.#url.protocol !== "https:") {
      throw new StoError(`ethereum-node-url ${describeNodeUrl(url)}: only http:// and https:// node URLs are supported`);
    }
    this.#headers = { "content-type": "application/json", accept: "application/json" };
    if (this.#url.username || this.#url.password) {
      // Sent as a header, as ethers does; node's http client would also do it from the URL, but
      // the URL is kept free of credentials so that no message can show them.
      const credentials = `${decodeURIComponent(this.#url.username)}:${decodeURIComponent(this.#url.password)}`;
      this.#headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
      this.#url.username = "";
      this.#url.password = "";
    }
    this.#policy = policy;
    this.#debug = debug;
    const AgentClass = this.#url.protocol === "https:" ? https.Agent : http.Agent;
    // Idle keep-alive sockets are unreferenced by node, so they never hold the process open.
    this.#agent = new AgentClass({ keepAlive: true, maxSockets: 4 });
  }

  get policy(): RetryPolicy {
    return this.#policy;
  }

  /** Sends one payload (or a batch) with retries; the answers are the node's, errors included. */
  async send(payload: JsonRpcPayload | JsonRpcPayload[], overrides: Partial<RetryPolicy> = {}): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const answer = plain(await this.#exchange(payload, overrides));
    return (Array.isArray(answer) ? answer : [answer]) as (JsonRpcResult | JsonRpcError)[];
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const answer = plain(await this.#exchange({ jsonrpc: "2.0", id: this.#nextId++, method, params }));
    if (Array.isArray(answer)) throw this.#malformed(method, "a batch answer to a single request");
    return unwrap<T>(method, answer);
  }

  async callReading<T>(method: string, params: unknown[], reader: AnswerReader<T>): Promise<T> {
    const answer = await this.#exchange({ jsonrpc: "2.0", id: this.#nextId++, method, params }, {}, reader);
    if (answer instanceof ReadAnswer) return answer.value as T;
    if (Array.isArray(answer)) throw this.#malformed(method, "a batch answer to a single request");
    return reader.fromResult(unwrap<unknown>(method, answer));
  }

  async batch<T>(requests: RpcRequest[]): Promise<(T | RpcError)[]> {
    if (requests.length === 0) return [];
    const firstId = this.#nextId;
    this.#nextId += requests.length;
    const payload: JsonRpcPayload[] = requests.map((request, index) => ({ jsonrpc: "2.0", id: firstId + index, method: request.method, params: request.params }));
    const label = `${requests[0].method} batch`;
    const answer = plain(await this.#exchange(payload));
    if (!Array.isArray(answer)) {
      throw new BatchUnsupportedError(label, oneLine(String(("error" in answer && answer.error?.message) || "no array answer")).slice(0, 100));
    }
    const byId = new Map<number, JsonRpcResult | JsonRpcError>();
    for (const item of answer) if (typeof item.id === "number") byId.set(item.id, item);
    return requests.map((request, index) => {
      const item = byId.get(firstId + index);
      if (!item) return new MissingFromBatchError(request.method);
      try {
        return unwrap<T>(request.method, item);
      } catch (error) {
        if (error instanceof RpcError) return error;
        throw error;
      }
    });
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  /** With `reader`, a successful answer it reads is returned as a ReadAnswer; everything else as without. */
  async #exchange(payload: JsonRpcPayload | JsonRpcPayload[], overrides: Partial<RetryPolicy> = {}, reader?: AnswerReader<unknown>): Promise<Answer | ReadAnswer<unknown>> {
    const policy = { ...this.#policy, ...overrides };
    const body = JSON.stringify(payload);
    const requests = Array.isArray(payload) ? payload : [payload];
    const methods = new Map(requests.map((entry) => [entry.id, entry.method]));
    const what = requests.length === 1 ? requests[0].method : `a batch of ${requests.length} requests`;
    const maxBytes = requests.some((entry) => entry.method === "eth_getLogs") ? MAX_ANSWER_BYTES.getLogs : MAX_ANSWER_BYTES.other;
    const started = Date.now();
    let lastReason = "";
    let onlyRefused = true;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new NodeUnavailableError(`the connection to the Ethereum node was closed before ${what} completed`);
      let retryAfterMs: number | undefined;
      try {
        const response = await post(this.#url, this.#headers, body, policy.timeoutMs, maxBytes, this.#agent);
        if (reader !== undefined && response.status >= 200 && response.status < 300) {
          const value = reader.fromBytes(response.bytes);
          if (value !== FALLBACK) return new ReadAnswer(value);
        }
        const outcome = interpret(response, methods, Array.isArray(payload));
        if (outcome.kind === "ok") return outcome.answer;
        if (outcome.kind === "permanent") {
          throw new NodeUnavailableError(
            `the Ethereum node at ${describeNodeUrl(this.#url.href)} refused ${what}: ${outcome.reason}`,
            "check ethereum-node-url (and any API key in it)",
          );
        }
        if (outcome.kind === "hostile") throw this.#malformed(what, outcome.reason);
        lastReason = outcome.reason;
        retryAfterMs = outcome.retryAfterMs;
      } catch (error) {
        if (error instanceof NodeUnavailableError) throw error;
        if (error instanceof AnswerTooLarge) {
          // Asking again would only make us read the same flood again.
          throw this.#malformed(what, `an answer of more than ${Math.round(error.limit / (1024 * 1024))} MiB`);
        }
        lastReason = networkReason(error);
      }
      onlyRefused &&= lastReason === "connection refused";
      const elapsed = Date.now() - started;
      const refusedEnough = onlyRefused && policy.refusedAttempts !== undefined && attempt >= policy.refusedAttempts;
      if (attempt >= policy.attempts || elapsed >= policy.budgetMs || refusedEnough) {
        throw new NodeUnavailableError(
          `the Ethereum node at ${describeNodeUrl(this.#url.href)} failed ${what} ${attempt} times in ${Math.round(elapsed / 1000)} s (last: ${lastReason})`,
          "nothing half-done was kept: run the same command again to resume",
        );
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.min(policy.maxDelayMs, retryAfterMs ?? Math.round(backoff / 2 + Math.random() * (backoff / 2)));
      this.#debug?.(`${what} failed (${lastReason}); retry ${attempt}/${policy.attempts - 1} in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  #malformed(what: string, reason: string): NodeUnavailableError {
    return new NodeUnavailableError(
      `the Ethereum node at ${describeNodeUrl(this.#url.href)} answered ${what} with ${reason}`,
      "no node sends that: check ethereum-node-url",
    );
  }
}

function unwrap<T>(method: string, answer: JsonRpcResult | JsonRpcError): T {
  if ("error" in answer && answer.error) {
    const error = answer.error as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof error.code === "number" ? error.code : undefined;
    const message = typeof error.message === "string" ? error.message : JSON.stringify(error);
    throw new RpcError(method, code, message, error.data);
  }
  if (!("result" in answer)) throw new RpcError(method, undefined, "answer without result", undefined);
  return answer.result as T;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
}

type Outcome =
  | { kind: "ok"; answer: Answer }
  | { kind: "transient"; reason: string; retryAfterMs?: number }
  | { kind: "permanent"; reason: string }
  | { kind: "hostile"; reason: string };

/** HTTP statuses worth another attempt: timeouts, throttling, overloaded or restarting servers. */
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 527, 529, 530]);

function interpret(response: RawResponse, methods: Map<unknown, string>, batch: boolean): Outcome {
  const retryAfter = parseRetryAfter(response.headers["retry-after"]);
  const text = bytesText(response.bytes);
  if (response.status < 200 || response.status >= 300) {
    const reason = `HTTP ${response.status}${text ? ` ${oneLine(text).slice(0, 80)}` : ""}`;
    if (TRANSIENT_STATUS.has(response.status)) return { kind: "transient", reason, retryAfterMs: retryAfter };
    if (response.status === 413) {
      // "Request entity / response too large": an answer about the size of what was asked for,
      // which the eth_getLogs reader meets by asking for fewer blocks. A single request gets a
      // single error answer (as a list, `call` took it for a batch answer: a node failure).
      const answers = [...methods.keys()].map((id) => errorAnswer(id, 413, `response too large (${reason})`));
      return { kind: "ok", answer: batch ? answers : answers[0] };
    }
    if (response.status === 400) {
      // Providers put the JSON-RPC error of a refused request (a block range too wide) in an
      // HTTP 400 body: that is the node's answer.
      const parsed = tryParse(text);
      if (isAnswerShape(parsed)) return { kind: "ok", answer: parsed };
    }
    return { kind: "permanent", reason };
  }
  const parsed = tryParse(text);
  if (parsed === undefined) {
    // A body cut short (or a proxy's HTML page): the request may well succeed when sent again.
    return { kind: "transient", reason: `unreadable answer (${text.length} bytes)` };
  }
  if (!isAnswerShape(parsed)) return { kind: "transient", reason: "malformed JSON-RPC answer" };
  const answers = Array.isArray(parsed) ? parsed : [parsed];
  for (const answer of answers) {
    const method = methods.get(answer.id) ?? "";
    if ("error" in answer && answer.error && isTransientRpcError(answer.error, method)) {
      return { kind: "transient", reason: `JSON-RPC error ${answer.error.code}: ${oneLine(String(answer.error.message)).slice(0, 100)}`, retryAfterMs: retryAfter };
    }
    if (QUANTITY_METHODS.has(method) && "result" in answer && typeof answer.result === "string" && answer.result.length > 66) {
      // Parsing a number of megabytes costs minutes of CPU; no quantity has more than 256 bits.
      return { kind: "hostile", reason: `a number of ${answer.result.length} characters` };
    }
    if ("result" in answer) {
      const wrong = wrongResultType(method, answer.result);
      if (wrong) return { kind: "hostile", reason: wrong };
    }
  }
  return { kind: "ok", answer: parsed };
}

/** Methods whose result is bytes (hex data, possibly empty): code, call results, hashes. */
const DATA_METHODS = new Set(["eth_getCode", "eth_call", "eth_sendRawTransaction", "eth_getStorageAt"]);
/** Methods whose result is one object, or null when the thing asked for is unknown. */
const OBJECT_METHODS = new Set([
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionReceipt",
  "eth_getTransactionByHash",
  "eth_feeHistory",
]);

/**
 * What is wrong with a result of a method sto knows, in words; undefined when it has the right type.
 * A node that answers a number with an object (a misconfigured proxy, another kind of server) is
 * reported as such, instead of surfacing later as a parse error deep in a command.
 */
function wrongResultType(method: string, result: unknown): string | undefined {
  const kind = result === null ? "null" : Array.isArray(result) ? "a list" : typeof result === "object" ? "an object" : typeof result === "string" ? "text" : `a ${typeof result}`;
  if (QUANTITY_METHODS.has(method)) {
    return typeof result === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(result) ? undefined : `${kind} where a hex number belongs`;
  }
  if (DATA_METHODS.has(method)) {
    return typeof result === "string" && /^0x(?:[0-9a-fA-F]{2})*$/.test(result) ? undefined : `${kind} where hex data belongs`;
  }
  if (OBJECT_METHODS.has(method)) {
    return result === null || (typeof result === "object" && !Array.isArray(result)) ? undefined : `${kind} where an object belongs`;
  }
  if (method === "eth_getLogs") return Array.isArray(result) ? undefined : `${kind} where a list of logs belongs`;
  return undefined;
}

function isAnswerShape(parsed: unknown): parsed is Answer {
  const answers = Array.isArray(parsed) ? parsed : [parsed];
  return answers.length > 0 && answers.every((answer) => typeof answer === "object" && answer !== null);
}

function errorAnswer(id: unknown, code: number, message: string): JsonRpcError {
  return { id: id as number, error: { code, message } };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^[0-9]{1,4}$/.test(text.trim())) return undefined;
  return Number(text.trim()) * 1000;
}

/** A network-level failure of one attempt (the node may have done nothing wrong). */
class TransportFailure extends Error {}

/** The answer passed the size bound: the connection was cut. */
class AnswerTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`answer larger than ${limit} bytes`);
  }
}

/** One POST with a deadline covering connection, request and the whole response body. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, maxBytes: number, agent: http.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "POST",
      agent,
      headers: { ...headers, "content-length": Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => request.destroy(new TransportFailure(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    let settled = false;
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(error);
    };
    request.on("error", fail);
    request.on("response", (response) => {
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(new AnswerTooLarge(maxBytes));
        request.destroy();
        return;
      }
      // The pieces are kept as they arrive and decoded once at the end (answerText). Decoded piece by
      // piece, an answer of megabytes was a string of many pieces on V8's heap that JSON.parse then
      // copied whole into newly mapped memory: for the eth_getLogs answers of a scan (3–4 MB each)
      // page faults and copies cost about 7 % of sto's CPU on anvil (docs/benchmarks.md, session 10).
      const pieces: Buffer[] = [];
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) {
          pieces.length = 0;
          fail(new AnswerTooLarge(maxBytes));
          request.destroy();
          return;
        }
        pieces.push(chunk);
      });
      response.on("error", fail);
      response.on("aborted", () => fail(new TransportFailure("connection cut while reading the answer")));
      response.on("end", () => {
        clearTimeout(timer);
        if (settled) return;
        if (!response.complete) {
          fail(new TransportFailure("connection cut while reading the answer"));
          return;
        }
        settled = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, received) });
      });
    });
    request.end(body);
  });
}

/**
 * The text of an answer's bytes. A node's JSON-RPC answer is almost always ASCII, and ASCII read as
 * Latin-1 is the same text: Node.js keeps such a string of a megabyte or more outside V8's heap (one
 * copy, in memory the allocator reuses), where UTF-8 decoding builds it on the heap. Anything else is
 * decoded as UTF-8, whole, so a character split between pieces comes out right.
 */
export function answerText(pieces: Buffer[], length: number): string {
  return bytesText(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length));
}

function bytesText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

function networkReason(error: unknown): string {
  if (error instanceof TransportFailure) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || /socket hang up/i.test(message)) return "connection reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code})`;
  return oneLine(code ? `${code}: ${message}` : message).slice(0, 120);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
