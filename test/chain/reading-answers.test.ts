import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AdaptiveBlockRange } from "../../src/chain/block-ranges";
import { TRANSFER_TOPIC } from "../../src/chain/erc20";
import { fetchLogRange, readLogRange } from "../../src/chain/logs";
import { FALLBACK, JsonRpcTransport, RpcError, type AnswerReader, type RetryPolicy } from "../../src/chain/rpc";
import { transferLogReader, type DecodeResult } from "../../src/scan/transfer-log";

/**
 * JsonRpcTransport.callReading (the answer's bytes handed to a reader) through a real HTTP server on
 * 127.0.0.1: the same answers, errors and retries as `call`; and HTTP 413 to a single eth_getLogs,
 * which must shrink the range instead of failing the scan.
 */
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const POLICY: RetryPolicy = { attempts: 4, timeoutMs: 5_000, baseDelayMs: 1, maxDelayMs: 5, budgetMs: 10_000 };

interface Request {
  id: number;
  method: string;
  params: { fromBlock: string; toBlock: string }[];
}

/** What the server answers to the n-th request (counted from 0 in each test): status and body. */
let answer: (request: Request, index: number) => { status: number; body: string };
let requests: Request[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((incoming, response) => {
    const pieces: Buffer[] = [];
    incoming.on("data", (piece: Buffer) => pieces.push(piece));
    incoming.on("end", () => {
      const request = JSON.parse(Buffer.concat(pieces).toString("utf8")) as Request;
      requests.push(request);
      const { status, body } = answer(request, requests.length - 1);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
});

const word = (value: number) => value.toString(16).padStart(64, "0");

/** One Transfer log per block, from holder 1 to holder 2, of the block number's value. */
function transferLog(block: number): Record<string, unknown> {
  return {
    address: TOKEN.toLowerCase(),
    topics: [TRANSFER_TOPIC, `0x${word(1)}`, `0x${word(2)}`],
    data: `0x${word(block)}`,
    blockNumber: `0x${block.toString(16)}`,
    blockHash: `0x${word(block + 1000)}`,
    transactionHash: `0x${word(block + 2000)}`,
    transactionIndex: "0x0",
    logIndex: "0x0",
    removed: false,
  };
}

function logsOf(request: Request): Record<string, unknown>[] {
  const from = Number(request.params[0].fromBlock);
  const to = Number(request.params[0].toBlock);
  return Array.from({ length: to - from + 1 }, (_, index) => transferLog(from + index));
}

const ok = (request: Request, result: unknown) => ({ status: 200, body: JSON.stringify({ jsonrpc: "2.0", id: request.id, result }) });
const rpcError = (request: Request, error: unknown) => ({ status: 200, body: JSON.stringify({ jsonrpc: "2.0", id: request.id, error }) });

/** transferLogReader, counting which path read each answer. */
function counting(): { reader: AnswerReader<DecodeResult>; bytes: number; results: number } {
  const inner = transferLogReader(TOKEN);
  const counts = {
    bytes: 0,
    results: 0,
    reader: {
      fromBytes: (bytes: Buffer) => {
        const read = inner.fromBytes(bytes);
        if (read !== FALLBACK) counts.bytes++;
        return read;
      },
      fromResult: (result: unknown) => {
        counts.results++;
        return inner.fromLogs(result as never);
      },
    },
  };
  return counts;
}

const params = [{ address: TOKEN, topics: [TRANSFER_TOPIC], fromBlock: "0x1", toBlock: "0x3" }];

describe("JsonRpcTransport.callReading", () => {
  it("reads a plain answer from its bytes, and an answer it is not sure of through JSON.parse, to the same events", async () => {
    const transport = new JsonRpcTransport(url, POLICY);
    try {
      answer = (request) => ok(request, logsOf(request));
      const plain = counting();
      const read = await transport.callReading("eth_getLogs", params, plain.reader);
      expect([plain.bytes, plain.results]).toEqual([1, 0]);
      expect(read.events.map((event) => event.value)).toEqual([1n, 2n, 3n]);
      expect(read.events[0].from).toBe(`0x${"0".repeat(39)}1`);

      // A key written with an escape: the reader does not follow it, JSON.parse does.
      answer = (request) => {
        const body = ok(request, logsOf(request));
        return { status: 200, body: body.body.replace('"blockNumber"', '"block\\u004eumber"') };
      };
      const unusual = counting();
      const parsed = await transport.callReading("eth_getLogs", params, unusual.reader);
      expect([unusual.bytes, unusual.results]).toEqual([0, 1]);
      expect(parsed).toStrictEqual(read);
    } finally {
      transport.close();
    }
  });

  it("turns a JSON-RPC error object into the RpcError `call` makes of it", async () => {
    const transport = new JsonRpcTransport(url, POLICY);
    try {
      answer = (request) => rpcError(request, { code: -32005, message: "query returned more than 10000 results", data: { from: "0x1", to: "0x2" } });
      const viaCall = await transport.call("eth_getLogs", params).catch((error: unknown) => error);
      const reading = counting();
      const viaReading = await transport.callReading("eth_getLogs", params, reading.reader).catch((error: unknown) => error);
      expect(viaReading).toBeInstanceOf(RpcError);
      expect(viaReading).toStrictEqual(viaCall);
      expect((viaReading as RpcError).code).toBe(-32005);
      expect((viaReading as RpcError).data).toEqual({ from: "0x1", to: "0x2" });
      expect([reading.bytes, reading.results]).toEqual([0, 0]);
      expect(requests).toHaveLength(2); // not retried: an answer, not a failure
    } finally {
      transport.close();
    }
  });

  it.each([
    ["HTTP 503", () => ({ status: 503, body: "busy" })],
    ["an answer cut short", () => ({ status: 200, body: '{"jsonrpc":"2.0","id":1,"result":[{"addr' })],
    ["a JSON-RPC 'not now'", (request: Request) => rpcError(request, { code: -32000, message: "header not found" })],
  ])("retries %s as `call` does, then reads the answer", async (_what, failure) => {
    const transport = new JsonRpcTransport(url, POLICY);
    try {
      answer = (request, index) => (index % 3 < 2 ? failure(request) : ok(request, logsOf(request)));
      const viaCall = await transport.call<unknown[]>("eth_getLogs", params);
      expect(requests).toHaveLength(3);
      const reading = counting();
      const read = await transport.callReading("eth_getLogs", params, reading.reader);
      expect(requests).toHaveLength(6);
      expect(read).toStrictEqual(transferLogReader(TOKEN).fromLogs(viaCall as never));
      expect(read.events).toHaveLength(3);
      expect([reading.bytes, reading.results]).toEqual([1, 0]);
    } finally {
      transport.close();
    }
  });

  it("gives up after the policy's attempts with the same NodeUnavailableError as `call`", async () => {
    const transport = new JsonRpcTransport(url, { ...POLICY, attempts: 2 });
    try {
      answer = () => ({ status: 502, body: "bad gateway" });
      const viaCall = await transport.call("eth_getLogs", params).catch((error: unknown) => error);
      const viaReading = await transport.callReading("eth_getLogs", params, counting().reader).catch((error: unknown) => error);
      expect((viaReading as Error).name).toBe("NodeUnavailableError");
      expect((viaReading as Error).message.replace(/in \d+ s/, "")).toBe((viaCall as Error).message.replace(/in \d+ s/, ""));
      expect(requests).toHaveLength(4);
    } finally {
      transport.close();
    }
  });
});

describe("HTTP 413 to a single request", () => {
  it("is an RpcError with code 413 from `call` and `callReading` (not a node failure)", async () => {
    const transport = new JsonRpcTransport(url, POLICY);
    try {
      answer = () => ({ status: 413, body: "Payload Too Large" });
      for (const attempt of [() => transport.call("eth_getLogs", params), () => transport.callReading("eth_getLogs", params, counting().reader)]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RpcError);
        expect((error as RpcError).code).toBe(413);
      }
      expect(requests).toHaveLength(2);
    } finally {
      transport.close();
    }
  });

  it("shrinks the range of eth_getLogs until the node answers, and every log is read once", async () => {
    const transport = new JsonRpcTransport(url, POLICY);
    try {
      // A node behind a proxy that refuses answers of more than 4 logs with HTTP 413.
      answer = (request) => {
        const logs = logsOf(request);
        return logs.length > 4 ? { status: 413, body: "<html>413 Request Entity Too Large</html>" } : ok(request, logs);
      };
      const filter = { address: TOKEN, topics: [TRANSFER_TOPIC] };
      for (const read of ["fetch", "read"] as const) {
        const range = new AdaptiveBlockRange({ initial: 16 });
        const values: bigint[] = [];
        let from = 1;
        while (from <= 30) {
          if (read === "fetch") {
            const fetched = await fetchLogRange(transport, filter, range, from, 30);
            values.push(...transferLogReader(TOKEN).fromLogs(fetched.logs).events.map((event) => event.value));
            range.succeeded(fetched.to - fetched.from + 1, fetched.logs.length);
            from = fetched.to + 1;
          } else {
            const fetched = await readLogRange(transport, filter, range, from, 30, transferLogReader(TOKEN));
            values.push(...fetched.value.events.map((event) => event.value));
            range.succeeded(fetched.to - fetched.from + 1, fetched.value.events.length);
            from = fetched.to + 1;
          }
        }
        expect(values).toEqual(Array.from({ length: 30 }, (_, index) => BigInt(index + 1)));
      }
      expect(requests.filter((request) => Number(request.params[0].toBlock) - Number(request.params[0].fromBlock) + 1 > 4).length).toBeGreaterThan(0);
    } finally {
      transport.close();
    }
  });
});
