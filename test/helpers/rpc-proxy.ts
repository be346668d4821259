/**
 * A loopback JSON-RPC proxy in front of a node that misbehaves on purpose, for the fault tests.
 *
 * ```ts
 * const proxy = await startRpcProxy(world.chain.url, { seed: 7, rates: { http500: 0.05, reset: 0.05 } });
 * await world.ok(["--ethereum-node-url", proxy.url, "tx-broadcast"]);
 * proxy.stats; // how many requests got which fault
 * await proxy.close();
 * ```
 *
 * Every fault is drawn from a seeded generator, so a failing run can be replayed with its seed.
 * Hooks (`onRequest`) let a test act at an exact moment of a request's life, e.g. kill the client
 * after the node has received a transaction and before the client hears about it.
 *
 * A JSON-RPC batch is seen twice: as one request (method `batch:<first method>`, which the random
 * faults, `stats.methods` and a `Responder` act on), and call by call (`stats.calls`, and the hooks
 * and the `ItemAnswerer` for each call in it, `batch` set). The calls go to the node as one batch,
 * without those the answerer answered or left out; a hook that returns "cut" at a call's
 * "received" makes the node get the batch only up to that call (the client died while sending it),
 * and the client an answer to those only.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./random";

export interface FaultRates {
  /** Answer late: a delay drawn from `delayMs`. */
  delay?: number;
  delayMs?: [number, number];
  /** Never answer; the connection is closed after `holdMs` (set above the client's timeout). */
  drop?: number;
  holdMs?: number;
  /** HTTP 429 Too Many Requests (with Retry-After: 0 or 1). */
  http429?: number;
  /** HTTP 500 / 502 / 503. */
  http500?: number;
  /** Close the connection before forwarding: the node never sees the request. */
  reset?: number;
  /** Forward to the node, then close the connection without answering: the node did it, the client does not know. */
  cutAfterForward?: number;
  /** Forward, then send half of the answer and close. */
  truncate?: number;
  /** JSON-RPC error 429 "Too Many Requests" in an HTTP 200 answer. */
  rpcRateLimit?: number;
  /** Every request gets this HTTP status: an outage (503) or a refusal (401). */
  outage?: number;
  /**
   * eth_getLogs over more blocks than this is refused the way Infura does ("query returned more than
   * 10000 results", code -32005). Deterministic, not a rate.
   */
  maxLogRange?: number;
}

export type RequestPhase = "received" | "forwarded" | "answered";

export interface ProxyRequest {
  /**
   * 1-based count so far: of calls of this method, alone or inside batches (`stats.calls`); for
   * a batch as a whole (method `batch:…`), of such batches (`stats.methods`).
   */
  index: number;
  method: string;
  params: unknown[];
  /** The JSON-RPC id (undefined for a batch as a whole). */
  id?: unknown;
  /** For a call inside a batch: its 1-based position and the batch's size. */
  batch?: { position: number; size: number };
}

/** What a hook may ask: "cut" — the node gets nothing of the batch after this call. */
export type HookResult = void | "cut";

/**
 * Answers one call (alone or inside a batch) in place of the node: the JSON-RPC error or result to
 * answer it with, "omit" to leave it out of a batch's answer (and not forward it; alone, it is
 * forwarded), or undefined to let the node answer.
 */
export type ItemAnswerer = (request: ProxyRequest) => { error: { code: number; message: string } } | { result: unknown } | "omit" | undefined;

/**
 * How the proxy takes batches: "accept" (forwards them), "refuse" (one error object for the whole
 * batch, as nodes without batch support answer), or at most `maxSize` calls a batch (a larger one is
 * answered as geth does: one "batch too large" error, with the first call's id, and nothing else).
 */
export type BatchPolicy = "accept" | "refuse" | { maxSize: number };

export type FaultKind = "delay" | "drop" | "http429" | "http500" | "reset" | "cutAfterForward" | "truncate" | "rpcRateLimit";

export interface RpcProxyOptions {
  rates?: FaultRates;
  /**
   * Faults applied once each, in this order, to every 5th request from the 5th on, on top of the
   * random ones: a short run still meets every kind.
   */
  forceEach?: FaultKind[];
  seed?: number;
  /** Called at each phase of every request and call; may return a promise the proxy waits for. */
  onRequest?: (request: ProxyRequest, phase: RequestPhase) => HookResult | Promise<HookResult>;
}

/**
 * Answers a request in place of the node (a hostile node's answer); returns false to let it through.
 * Called after "received", before any fault.
 */
export type Responder = (request: ProxyRequest, response: http.ServerResponse) => boolean;

export interface RpcProxy {
  url: string;
  /**
   * Counts: HTTP requests, requests per method (a batch as `batch:<first method>`), calls per method
   * (alone or inside batches), and faults per kind.
   */
  readonly stats: { requests: number; methods: Record<string, number>; calls: Record<string, number>; faults: Record<string, number> };
  setRates(rates: FaultRates): void;
  setOnRequest(hook: RpcProxyOptions["onRequest"]): void;
  setResponder(responder: Responder | undefined): void;
  setItemAnswerer(answerer: ItemAnswerer | undefined): void;
  setBatchPolicy(policy: BatchPolicy): void;
  /** Resolves once the proxy is done with every request it has received (forwarded, answered or dropped). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Payload {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

export async function startRpcProxy(targetUrl: string, options: RpcProxyOptions = {}): Promise<RpcProxy> {
  const target = new URL(targetUrl);
  let rates: FaultRates = options.rates ?? {};
  let onRequest = options.onRequest;
  let responder: Responder | undefined;
  let itemAnswerer: ItemAnswerer | undefined;
  let batchPolicy: BatchPolicy = "accept";
  const random = seededRandom(options.seed ?? 1);
  const stats = { requests: 0, methods: {} as Record<string, number>, calls: {} as Record<string, number>, faults: {} as Record<string, number> };
  const countCall = (method: string): number => (stats.calls[method] = (stats.calls[method] ?? 0) + 1);
  const sockets = new Set<import("node:net").Socket>();
  const count = (fault: string): void => {
    stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
  };
  const forced = [...(options.forceEach ?? [])];
  const draw = (rate: number | undefined): boolean => rate !== undefined && rate > 0 && random() < rate;

  const forward = (body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const request = http.request(target, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", reject);
      });
      request.on("error", reject);
      request.end(body);
    });

  const blockNumber = async (): Promise<number> => {
    const answer = await forward(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }));
    return Number(BigInt((JSON.parse(answer.body.toString("utf8")) as { result: string }).result));
  };

  /** Infura's answer to a log query over too many blocks, or undefined when the range is fine. */
  const logRangeRefusal = async (payload: Payload): Promise<string | undefined> => {
    if (payload.method !== "eth_getLogs" || rates.maxLogRange === undefined) return undefined;
    const filter = (payload.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
    if (filter.blockHash) return undefined;
    const resolveTag = async (tag: string | undefined, fallback: "earliest" | "latest"): Promise<number> => {
      const value = tag ?? fallback;
      if (value === "earliest") return 0;
      if (/^0x[0-9a-f]+$/i.test(value)) return Number(BigInt(value));
      return blockNumber();
    };
    const from = await resolveTag(filter.fromBlock, "latest");
    const to = await resolveTag(filter.toBlock, "latest");
    if (to - from + 1 <= rates.maxLogRange) return undefined;
    count("logRange");
    const suggestion = `[0x${from.toString(16)}, 0x${(from + rates.maxLogRange - 1).toString(16)}]`;
    return JSON.stringify({
      jsonrpc: "2.0",
      id: payload.id ?? null,
      error: { code: -32005, message: `query returned more than 10000 results. Try with this block range ${suggestion}.`, data: { from: `0x${from.toString(16)}`, to: `0x${(from + rates.maxLogRange - 1).toString(16)}` } },
    });
  };

  /**
   * A batch, call by call: the hooks and the answerer see each call; the node gets the rest as
   * one batch (up to a cut); the answer holds every call's answer in order, less those left out.
   */
  const forwardBatch = async (batch: Payload[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> => {
    const answers: (object | undefined)[] = new Array(batch.length).fill(undefined);
    const calls: ProxyRequest[] = [];
    const toNode: number[] = [];
    for (const [position, item] of batch.entries()) {
      const method = item.method ?? "unknown";
      const call: ProxyRequest = { index: countCall(method), method, params: item.params ?? [], id: item.id, batch: { position: position + 1, size: batch.length } };
      calls.push(call);
      const cut = (await onRequest?.(call, "received")) === "cut";
      const own = itemAnswerer?.(call);
      if (own === "omit") count("itemOmitted");
      else if (own !== undefined) {
        count("itemAnswer");
        answers[position] = { jsonrpc: "2.0", id: item.id ?? null, ...own };
      } else toNode.push(position);
      if (cut) {
        count("batchCut");
        break;
      }
    }
    if (toNode.length > 0) {
      const answer = await forward(JSON.stringify(toNode.map((position) => batch[position])));
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body.toString("utf8"));
      } catch {
        return answer;
      }
      // A node that refuses batches: its answer as it is.
      if (!Array.isArray(parsed)) return answer;
      const byId = new Map((parsed as Payload[]).map((entry) => [JSON.stringify(entry.id), entry]));
      for (const position of toNode) answers[position] = byId.get(JSON.stringify(batch[position].id));
      for (const position of toNode) {
        await onRequest?.(calls[position], "forwarded");
        await onRequest?.(calls[position], "answered");
      }
    }
    return { status: 200, headers: {}, body: Buffer.from(JSON.stringify(answers.filter((entry) => entry !== undefined))) };
  };

  let inFlight = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      inFlight += 1;
      void (async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let payload: Payload = {};
        let batch: Payload[] | undefined;
        try {
          const parsed = JSON.parse(body) as Payload | Payload[];
          if (Array.isArray(parsed)) batch = parsed.filter((item): item is Payload => typeof item === "object" && item !== null);
          payload = Array.isArray(parsed) ? { method: `batch:${parsed[0]?.method ?? ""}`, params: [] } : parsed;
        } catch {
          // Not ours to judge: the node answers it.
        }
        const method = payload.method ?? "unknown";
        stats.requests += 1;
        stats.methods[method] = (stats.methods[method] ?? 0) + 1;
        const info: ProxyRequest = { index: batch ? stats.methods[method] : countCall(method), method, params: payload.params ?? [], id: payload.id };
        const forcedNow = stats.requests % 5 === 0 && forced.length > 0 ? forced.shift() : undefined;
        // A request with a forced fault gets that one only, so that no other fault pre-empts it.
        const hit = (rate: number | undefined, kind: FaultKind): boolean => (forcedNow !== undefined ? forcedNow === kind : draw(rate));
        const destroy = (): void => {
          request.socket.destroy();
        };
        try {
          await onRequest?.(info, "received");
          if (responder?.(info, response)) {
            count("responder");
            return;
          }
          if (batch && batchPolicy !== "accept") {
            const tooLarge = batchPolicy !== "refuse" && batch.length > batchPolicy.maxSize;
            if (batchPolicy === "refuse" || tooLarge) {
              // Counted as such and per method: "batchRefused:eth_sendRawTransaction".
              count(tooLarge ? "batchTooLarge" : "batchRefused");
              count(`${tooLarge ? "batchTooLarge" : "batchRefused"}:${batch[0]?.method ?? ""}`);
              response.writeHead(200, { "content-type": "application/json" });
              response.end(
                JSON.stringify(
                  tooLarge
                    ? [{ jsonrpc: "2.0", id: batch[0]?.id ?? null, error: { code: -32600, message: "batch too large" } }]
                    : { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } },
                ),
              );
              return;
            }
          }
          const own = batch ? undefined : itemAnswerer?.(info);
          if (own !== undefined && own !== "omit") {
            count("itemAnswer");
            response.writeHead(200, { "content-type": "application/json" });
            response.end(JSON.stringify({ jsonrpc: "2.0", id: payload.id ?? null, ...own }));
            return;
          }
          if (rates.outage !== undefined) {
            count(`outage${rates.outage}`);
            response.writeHead(rates.outage, { "content-type": "text/plain" });
            response.end(http.STATUS_CODES[rates.outage] ?? "error");
            return;
          }
          if (hit(rates.reset, "reset")) {
            count("reset");
            destroy();
            return;
          }
          if (hit(rates.drop, "drop")) {
            count("drop");
            setTimeout(destroy, rates.holdMs ?? 5_000);
            return;
          }
          if (hit(rates.http429, "http429")) {
            count("http429");
            response.writeHead(429, { "content-type": "text/plain", "retry-after": random() < 0.5 ? "0" : "1" });
            response.end("Too Many Requests");
            return;
          }
          if (hit(rates.http500, "http500")) {
            const status = [500, 502, 503][Math.floor(random() * 3)];
            count(`http${status}`);
            response.writeHead(status, { "content-type": "text/plain" });
            response.end(status === 500 ? "Internal Server Error" : status === 502 ? "Bad Gateway" : "Service Unavailable");
            return;
          }
          if (hit(rates.rpcRateLimit, "rpcRateLimit")) {
            count("rpcRateLimit");
            response.writeHead(200, { "content-type": "application/json" });
            response.end(JSON.stringify({ jsonrpc: "2.0", id: payload.id ?? null, error: { code: 429, message: "Too Many Requests: rate limit exceeded" } }));
            return;
          }
          const refusal = await logRangeRefusal(payload);
          if (refusal) {
            response.writeHead(200, { "content-type": "application/json" });
            response.end(refusal);
            return;
          }
          if (hit(rates.delay, "delay")) {
            count("delay");
            const [low, high] = rates.delayMs ?? [50, 500];
            await new Promise((resolve) => setTimeout(resolve, low + random() * (high - low)));
          }
          const answer = batch ? await forwardBatch(batch) : await forward(body);
          await onRequest?.(info, "forwarded");
          if (hit(rates.cutAfterForward, "cutAfterForward")) {
            count("cutAfterForward");
            destroy();
            return;
          }
          if (hit(rates.truncate, "truncate") && answer.body.length > 2) {
            count("truncate");
            response.writeHead(answer.status, { "content-type": "application/json", "content-length": answer.body.length });
            response.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
            setTimeout(destroy, 10);
            return;
          }
          response.writeHead(answer.status, { "content-type": "application/json", "content-length": answer.body.length });
          response.end(answer.body);
          await onRequest?.(info, "answered");
        } catch {
          destroy();
        } finally {
          inFlight -= 1;
        }
      })();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRates(next) {
      rates = next;
    },
    setOnRequest(hook) {
      onRequest = hook;
    },
    setResponder(next) {
      responder = next;
    },
    setItemAnswerer(next) {
      itemAnswerer = next;
    },
    setBatchPolicy(next) {
      batchPolicy = next;
    },
    async settled() {
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Streams a JSON-RPC answer of `bytes` bytes (a result string of "f"s) without holding it in
 * memory, honouring backpressure, until done or the client hangs up: a 2 GiB answer costs the
 * test only what the client reads.
 */
export function streamHugeAnswer(response: http.ServerResponse, id: unknown, bytes: number): void {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id ?? 1)},"result":"0x`;
  const chunk = Buffer.alloc(1024 * 1024, "f");
  let sent = 0;
  response.writeHead(200, { "content-type": "application/json" });
  response.write(head);
  const pump = (): void => {
    while (sent < bytes && !response.destroyed) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        response.once("drain", pump);
        return;
      }
    }
    if (!response.destroyed) response.end('"}');
  };
  response.on("close", () => (sent = bytes));
  pump();
}
