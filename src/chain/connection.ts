import http from "node:http";
import https from "node:https";
import { JsonRpcProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { StoError, ExitCode } from "../errors";
import type { StoConfig } from "../config/resolve";

/** A live connection to the configured node, whose chain id has been checked. */
export interface ChainConnection {
  provider: JsonRpcProvider;
  chainId: number;
  close(): void;
}

/** Hides credentials in node URLs (Infura-style project ids in paths, user:password, query keys). */
export function describeNodeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.length > 12 ? `${parsed.pathname.slice(0, 8)}…` : parsed.pathname;
    return `${parsed.protocol}//${parsed.host}${path === "/" ? "" : path}`;
  } catch {
    return "(invalid url)";
  }
}

/**
 * How hard a JSON-RPC request is retried. Every request the CLI makes goes through one transport
 * (`ResilientJsonRpcProvider._send`), so every command gets the same policy.
 */
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
 * The node could not be used: it stayed unreachable or kept failing after every retry, or refused
 * us permanently (HTTP 401/403/404). Exit code 3; nothing half-done is left behind, so running
 * the same command again resumes.
 */
export class NodeUnavailableError extends StoError {
  constructor(message: string) {
    super(message, ExitCode.Network);
    this.name = "NodeUnavailableError";
  }
}

/** Whether an error means "the node failed" (as opposed to an answer such as a revert). */
export function isNodeUnavailable(error: unknown): error is NodeUnavailableError {
  return error instanceof NodeUnavailableError;
}

interface ConnectOptions {
  /** Diagnostics: each retry is reported here (debug level). */
  debug?: (message: string) => void;
  policy?: RetryPolicy;
}

/**
 * Connects to the node, reads its chain id and checks it against the configured network.
 * Never retries forever: an unreachable node is a one-line error.
 */
export async function connectChain(config: StoConfig, options: ConnectOptions = {}): Promise<ChainConnection> {
  if (config.network.retiredReason) throw new StoError(config.network.retiredReason);
  if (!config.nodeUrl) {
    throw new StoError(`network ${config.network.name} needs a node: set ethereum-node-url in the INI file or pass --ethereum-node-url`);
  }
  const transport = new JsonRpcTransport(config.nodeUrl, options.policy ?? retryPolicyFromEnvironment(), options.debug);
  let chainId: number;
  try {
    chainId = await fetchChainId(transport, config);
  } catch (error) {
    transport.close();
    throw error;
  }
  if (chainId !== config.network.chainId) {
    transport.close();
    throw new StoError(
      `the node at ${describeNodeUrl(config.nodeUrl)} is on chain id ${chainId}, but network ${config.network.name} is chain id ${config.network.chainId}: check --network and --ethereum-node-url`,
      ExitCode.StateMismatch,
    );
  }
  const provider = new ResilientJsonRpcProvider(transport, chainId);
  return { provider, chainId, close: () => provider.destroy() };
}

const CONNECT_POLICY: Partial<RetryPolicy> = { refusedAttempts: 3 };

async function fetchChainId(transport: JsonRpcTransport, config: StoConfig): Promise<number> {
  let answer: JsonRpcResult | JsonRpcError;
  try {
    // A node that is simply not running is not worth a minute of retries: refused connections
    // end the first request quickly, with the hint for the local chain.
    [answer] = await transport.send({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, CONNECT_POLICY);
  } catch (error) {
    if (error instanceof NodeUnavailableError && /connection refused/.test(error.message)) {
      const hint = config.network.isLocal ? ': start the local chain with "sto node" (or "npm run node") in another terminal' : "";
      throw new NodeUnavailableError(`cannot reach the Ethereum node at ${describeNodeUrl(config.nodeUrl)} (connection refused)${hint}`);
    }
    throw error;
  }
  if (!answer || !("result" in answer) || typeof answer.result !== "string" || !/^0x[0-9a-f]+$/i.test(answer.result)) {
    const message = answer && "error" in answer ? String(answer.error.message) : "no result";
    throw new NodeUnavailableError(`the Ethereum node at ${describeNodeUrl(config.nodeUrl)} did not return a chain id (${oneLine(message).slice(0, 120)})`);
  }
  return Number(BigInt(answer.result));
}

/**
 * The JSON-RPC transport of every chain call: each request is POSTed with a hard timeout (the
 * socket is destroyed, so a hung node cannot keep the process alive), and transient failures —
 * connection refused or reset, timeouts, HTTP 408/425/429/5xx, unparseable bodies and JSON-RPC
 * rate-limit errors — are retried with exponential backoff and jitter, within the policy's
 * bounds. Anything else is returned unchanged (a revert, "nonce too low", "query returned more
 * than 10000 results" are answers, not failures).
 *
 * Retrying is safe because every request sto makes is a read, except eth_sendRawTransaction,
 * whose resend of the same bytes the node answers with "already known" or "nonce too low",
 * which tx-broadcast resolves by looking its recorded hashes up.
 */
export class JsonRpcTransport {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #policy: RetryPolicy;
  readonly #debug?: (message: string) => void;
  #closed = false;

  constructor(url: string, policy: RetryPolicy = DEFAULT_RETRY_POLICY, debug?: (message: string) => void) {
    this.#url = new URL(url);
    if (this.#url.protocol !== "http:" && this.#url.protocol !== "https:") {
      throw new StoError(`ethereum-node-url ${describeNodeUrl(url)}: only http:// and https:// node URLs are supported`);
    }
    this.#policy = policy;
    this.#debug = debug;
    const AgentClass = this.#url.protocol === "https:" ? https.Agent : http.Agent;
    // Idle keep-alive sockets are unreferenced by node, so they never hold the process open.
    this.#agent = new AgentClass({ keepAlive: true, maxSockets: 4 });
  }

  /** Sends one payload (or a batch) with retries; the answers are the node's, errors included. */
  async send(payload: JsonRpcPayload | JsonRpcPayload[], overrides: Partial<RetryPolicy> = {}): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const policy = { ...this.#policy, ...overrides };
    const body = JSON.stringify(payload);
    const methods = (Array.isArray(payload) ? payload : [payload]).map((entry) => entry.method);
    const what = methods.length === 1 ? methods[0] : `a batch of ${methods.length} requests`;
    const started = Date.now();
    let lastReason = "";
    let onlyRefused = true;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new NodeUnavailableError(`the connection to the Ethereum node was closed before ${what} completed`);
      let retryAfterMs: number | undefined;
      try {
        const outcome = interpret(await post(this.#url, body, policy.timeoutMs, this.#agent));
        if (outcome.kind === "ok") return outcome.answers;
        if (outcome.kind === "permanent") {
          throw new NodeUnavailableError(
            `the Ethereum node at ${describeNodeUrl(this.#url.href)} refused ${what}: ${outcome.reason}; check ethereum-node-url (and any API key in it)`,
          );
        }
        lastReason = outcome.reason;
        retryAfterMs = outcome.retryAfterMs;
      } catch (error) {
        if (error instanceof NodeUnavailableError) throw error;
        lastReason = networkReason(error);
      }
      onlyRefused &&= lastReason === "connection refused";
      const elapsed = Date.now() - started;
      const refusedEnough = onlyRefused && policy.refusedAttempts !== undefined && attempt >= policy.refusedAttempts;
      if (attempt >= policy.attempts || elapsed >= policy.budgetMs || refusedEnough) {
        throw new NodeUnavailableError(
          `the Ethereum node at ${describeNodeUrl(this.#url.href)} failed ${what} ${attempt} times in ${Math.round(elapsed / 1000)} s (last: ${lastReason}); nothing half-done was kept: run the same command again to resume`,
        );
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.min(policy.maxDelayMs, retryAfterMs ?? Math.round(backoff / 2 + Math.random() * (backoff / 2)));
      this.#debug?.(`${what} failed (${lastReason}); retry ${attempt}/${policy.attempts - 1} in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }
}

/** ethers' JsonRpcProvider over the retrying transport, for a chain id already checked. */
export class ResilientJsonRpcProvider extends JsonRpcProvider {
  readonly transport: JsonRpcTransport;

  constructor(transport: JsonRpcTransport, chainId: number) {
    const network = Network.from(chainId);
    super(undefined, network, {
      staticNetwork: network,
      batchMaxCount: 1,
      polling: true,
      pollingInterval: 500,
      // Identical calls within 250 ms would otherwise share one answer: a re-read after a write
      // (a nonce, a receipt) must ask the node again.
      cacheTimeout: -1,
    });
    this.transport = transport;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    // ethers types the answers of _send as results only, but reads errors from them as well.
    return (await this.transport.send(payload)) as JsonRpcResult[];
  }

  override destroy(): void {
    super.destroy();
    this.transport.close();
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

type Outcome =
  | { kind: "ok"; answers: (JsonRpcResult | JsonRpcError)[] }
  | { kind: "transient"; reason: string; retryAfterMs?: number }
  | { kind: "permanent"; reason: string };

/** HTTP statuses worth another attempt: timeouts, throttling, overloaded or restarting servers. */
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 527, 529, 530]);

function interpret(response: RawResponse): Outcome {
  const retryAfter = parseRetryAfter(response.headers["retry-after"]);
  if (response.status < 200 || response.status >= 300) {
    const reason = `HTTP ${response.status}${response.text ? ` ${oneLine(response.text).slice(0, 80)}` : ""}`;
    if (TRANSIENT_STATUS.has(response.status)) return { kind: "transient", reason, retryAfterMs: retryAfter };
    return { kind: "permanent", reason };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch {
    // A body cut short (or a proxy's HTML page): the request may well succeed when sent again.
    return { kind: "transient", reason: `unreadable answer (${response.text.length} bytes)` };
  }
  const answers = (Array.isArray(parsed) ? parsed : [parsed]) as (JsonRpcResult | JsonRpcError)[];
  if (answers.some((answer) => typeof answer !== "object" || answer === null)) {
    return { kind: "transient", reason: "malformed JSON-RPC answer" };
  }
  for (const answer of answers) {
    if ("error" in answer && answer.error && isTransientRpcError(answer.error)) {
      return { kind: "transient", reason: `JSON-RPC error ${answer.error.code}: ${oneLine(String(answer.error.message)).slice(0, 100)}`, retryAfterMs: retryAfter };
    }
  }
  return { kind: "ok", answers };
}

/**
 * JSON-RPC errors that say "not now" rather than "no": rate limits and overloaded backends.
 * Deterministic answers that merely look similar (too many log results, reverts, nonce and fee
 * errors) are excluded: retrying them would only delay the caller that knows what to do.
 */
export function isTransientRpcError(error: { code?: number; message?: string }): boolean {
  const message = String(error.message ?? "");
  if (/more than \d+ results|results? (limit|cap)|block range|range (is )?too (large|wide)|too many (blocks|logs|results)|revert|invalid|nonce|underpriced|insufficient|already known|intrinsic|gas limit|fee/i.test(message)) {
    return false;
  }
  if (error.code === 429) return true;
  return /rate.?limit|too many requests|request limit|exceeded .*(quota|capacity|rate|credits)|capacity exceeded|temporarily unavailable|try again|service unavailable|overloaded|server busy|timed? ?out|timeout|header not found|upstream|bad gateway/i.test(
    message,
  );
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^[0-9]{1,4}$/.test(text.trim())) return undefined;
  return Number(text.trim()) * 1000;
}

class TransportError extends Error {}

/** One POST with a deadline covering connection, request and the whole response body. */
function post(url: URL, body: string, timeoutMs: number, agent: http.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), accept: "application/json" },
    });
    const timer = setTimeout(() => request.destroy(new TransportError(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(error);
    };
    request.on("error", fail);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", fail);
      response.on("aborted", () => fail(new TransportError("connection cut while reading the answer")));
      response.on("end", () => {
        clearTimeout(timer);
        if (!response.complete) {
          reject(new TransportError("connection cut while reading the answer"));
          return;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    request.end(body);
  });
}

function networkReason(error: unknown): string {
  if (error instanceof TransportError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || /socket hang up/i.test(message)) return "connection reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code})`;
  return oneLine(code ? `${code}: ${message}` : message).slice(0, 120);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
