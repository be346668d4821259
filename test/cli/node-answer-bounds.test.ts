import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { startRpcProxy, streamHugeAnswer, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * A hostile node's answers are bounded (docs/security.md): a body beyond the size limit is cut
 * off while it streams, a number of megabytes is refused before anything parses it. Both are
 * exit 3 with one line, on the scanner's path and on ethers' path alike.
 */
const ENV = { STO_RPC_ATTEMPTS: "2", STO_RPC_TIMEOUT: "20", STO_ETHEREUM_PRIVATE_KEY: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" };
const GiB = 1024 * 1024 * 1024;

let world: E2eWorld;
let proxy: RpcProxy;
let token: string;

beforeAll(async () => {
  world = await startWorld();
  token = tokenAddressFrom(await world.ok(["issue", "--symbol=BIG", "--name=Big answers", "--url=https://example.com", "--amount=10"]));
  await world.ok(["tx-broadcast"]);
  proxy = await startRpcProxy(world.chain.url);
});

afterAll(async () => {
  await proxy?.close();
  await world?.close();
});

async function sto(args: string[]) {
  return world.sto(args, { globals: ["--ethereum-node-url", proxy.url], env: ENV });
}

function expectExit3OneLine(result: { code: number | null; signal: NodeJS.Signals | null; stderr: string }, pattern: RegExp): void {
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(3);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe("answers no node sends", () => {
  it("a 2 GiB answer to eth_blockNumber (token-scan's transport) is cut off at 16 MiB: exit 3", async () => {
    proxy.setResponder((request, response) => {
      if (request.method !== "eth_blockNumber") return false;
      streamHugeAnswer(response, request.id, 2 * GiB);
      return true;
    });
    // Counted from here: the proxy is shared by the file's tests, which run in any order.
    const floodsBefore = proxy.stats.faults.responder ?? 0;
    const result = await sto(["token-scan", `--token-address=${token}`]);
    expectExit3OneLine(result, /answered eth_blockNumber with an answer of more than 16 MiB; no node sends that/);
    // Not retried: one flood is enough.
    expect((proxy.stats.faults.responder ?? 0) - floodsBefore).toBe(1);
  });

  it("a 2 GiB answer to eth_getCode (ethers' provider) is cut off too: exit 3", async () => {
    proxy.setResponder((request, response) => {
      if (request.method !== "eth_getCode") return false;
      streamHugeAnswer(response, request.id, 2 * GiB);
      return true;
    });
    const result = await sto(["token-status", `--address=${token}`]);
    expectExit3OneLine(result, /answered eth_getCode with an answer of more than 16 MiB/);
  });

  it("a 50 MB number is refused by size, a 1 MB one by its length, before either is parsed: exit 3", async () => {
    proxy.setResponder((request, response) => {
      if (request.method !== "eth_blockNumber") return false;
      streamHugeAnswer(response, request.id, 50 * 1000 * 1000);
      return true;
    });
    expectExit3OneLine(await sto(["token-scan", `--token-address=${token}`]), /answered eth_blockNumber with an answer of more than 16 MiB/);

    proxy.setResponder((request, response) => {
      if (request.method !== "eth_getTransactionCount" && request.method !== "eth_blockNumber") return false;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: `0x${"f".repeat(1_000_000)}` }));
      return true;
    });
    expectExit3OneLine(await sto(["token-scan", `--token-address=${token}`]), /answered eth_blockNumber with a number of 1000002 characters/);
  });
});
