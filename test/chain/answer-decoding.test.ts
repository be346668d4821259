import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerText, JsonRpcTransport, RpcError } from "../../src/chain/rpc";

/**
 * The transport keeps an answer's pieces as they arrive and decodes them once (src/chain/rpc.ts,
 * post and answerText). A server that sends its answer in pieces split inside a multi-byte
 * character: the text must come out whole. Kills each piece decoded on its own (which makes
 * replacement characters of a split one) and Latin-1 decoding of an answer that is not ASCII.
 */
const MESSAGE = "limite dépassée: 株式会社 🚀 naïve";

let server: http.Server;
let url: string;
let pieces: Buffer[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      // Each piece is its own write, with a pause so that the client reads them apart.
      let index = 0;
      const next = () => {
        if (index === pieces.length) {
          response.end();
          return;
        }
        response.write(pieces[index++]);
        setTimeout(next, 15);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The bytes of `body` cut at every offset in `cuts`. */
function cutAt(body: Buffer, cuts: number[]): Buffer[] {
  const result: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    result.push(body.subarray(start, cut));
    start = cut;
  }
  result.push(body.subarray(start));
  return result;
}

describe("answers that arrive in pieces", () => {
  it("are decoded whole when a piece ends inside a multi-byte character, in a result and in an error", async () => {
    const transport = new JsonRpcTransport(url, { attempts: 1, timeoutMs: 5_000, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 5_000 });
    try {
      for (const shape of ["result", "error"] as const) {
        const answer = shape === "result" ? { jsonrpc: "2.0", id: 1, result: MESSAGE } : { jsonrpc: "2.0", id: 2, error: { code: -32000, message: MESSAGE } };
        const body = Buffer.from(JSON.stringify(answer), "utf8");
        // Cut after the first byte of "é" (2 bytes), the second of "株" (3 bytes), the first and the
        // third of "🚀" (4 bytes).
        const at = (character: string, into: number) => body.indexOf(Buffer.from(character, "utf8")) + into;
        pieces = cutAt(body, [at("é", 1), at("株", 2), at("🚀", 1), at("🚀", 3)]);
        expect(pieces).toHaveLength(5);
        expect(() => pieces.map((piece) => new TextDecoder("utf-8", { fatal: true }).decode(piece))).toThrow();
        if (shape === "result") {
          expect(await transport.call<string>("web3_clientVersion", [])).toBe(MESSAGE);
        } else {
          const error = await transport.call<string>("web3_clientVersion", []).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(RpcError);
          expect((error as RpcError).rpcMessage).toBe(MESSAGE);
        }
      }
    } finally {
      transport.close();
    }
  });
});

describe("answerText", () => {
  it("reads ASCII answers (as Latin-1, kept outside V8's heap from a megabyte on) and others as UTF-8, the same as UTF-8 decoding", () => {
    const ascii = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, result: [{ data: `0x${"ab".repeat(700_000)}`, removed: false }] }), "utf8");
    const mixed = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, result: `${"0x00".repeat(300_000)}${MESSAGE}` }), "utf8");
    for (const body of [ascii, mixed, Buffer.from(MESSAGE, "utf8"), Buffer.alloc(0)]) {
      const expected = body.toString("utf8");
      expect(answerText([body], body.length)).toBe(expected);
      // In pieces, some cut inside a character, and every byte a piece of its own for the short ones.
      const cuts = [1, 2, 3, 7, body.length >> 1, body.length - 1].filter((cut) => cut > 0 && cut < body.length);
      expect(answerText(cutAt(body, [...new Set(cuts)].sort((a, b) => a - b)), body.length)).toBe(expected);
      if (body.length < 100) expect(answerText([...body].map((byte) => Buffer.from([byte])), body.length)).toBe(expected);
    }
    // A byte above 0x7F is never read as Latin-1: "é" stays one character.
    expect(answerText([Buffer.from("\"é\"", "utf8")], 4)).toBe('"é"');
  });
});
