import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { addressAfter } from "../helpers/corp";
import { startRpcProxy, type ProxyRequest, type RpcProxy } from "../helpers/rpc-proxy";

/**
 * A node that stops answering one kind of request, after the connection was made, is exit 3 with
 * one line on every path — never a guess in its place: decimals 18, "not an ERC-20", "has the
 * role", or a log range halved down to single blocks.
 */
const SELECTOR = { decimals: "0x313ce567", hasRole: "0x91d14854" } as const;
const RECEIVER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
// The key of development account #0 given explicitly, so that stderr holds the error alone.
const ENV = { STO_RPC_ATTEMPTS: "2", STO_RPC_TIMEOUT: "5", STO_ETHEREUM_PRIVATE_KEY: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" };

let world: E2eWorld;
let proxy: RpcProxy;
let token: string;
let voting: string;
/** Requests the proxy answers with HTTP 503, as a node that went down would. */
let failing: (request: ProxyRequest) => boolean = () => false;

function calling(selector: string): (request: ProxyRequest) => boolean {
  return (request) => request.method === "eth_call" && String((request.params[0] as { data?: string } | undefined)?.data ?? "").startsWith(selector);
}

async function sto(args: string[]) {
  return world.sto(args, { globals: ["--ethereum-node-url", proxy.url], env: ENV });
}

function expectExit3OneLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(3);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

beforeAll(async () => {
  world = await startWorld();
  token = tokenAddressFrom(await world.ok(["issue", "--symbol=DEAD", "--name=Dead node corp", "--url=https://example.com", "--amount=1000"]));
  await world.ok(["tx-broadcast"]);
  await world.ok(["tx-update"]);
  const deployed = await world.ok([
    "voting-deploy",
    `--token-address=${token}`,
    "--voting-name=q",
    "--uri=http://example.com",
    "--type=0",
    "--option=Yes",
    "--option=No",
    "--end=7d",
    "--include-issuer",
  ]);
  voting = addressAfter("Voting address will be", deployed.stdout);
  await world.ok(["tx-broadcast"]);
  await world.ok(["tx-update"]);
  proxy = await startRpcProxy(world.chain.url, {
    onRequest: (request, phase) => {
      if (phase === "received") proxy.setRates(failing(request) ? { outage: 503 } : {});
    },
  });
});

afterAll(async () => {
  await proxy?.close();
  await world?.close();
});

describe("a node that fails after the connection", () => {
  it("distribute-single: decimals() unanswered is exit 3, not 'not an ERC-20 token'", async () => {
    failing = calling(SELECTOR.decimals);
    const result = await sto(["distribute-single", `--token-address=${token}`, `--to-address=${RECEIVER}`, "--external-id=x1", "--email=a@example.com", "--name=A", "--amount=1"]);
    expectExit3OneLine(result, /Ethereum node at http:\/\/127\.0\.0\.1:\d+ failed eth_call 2 times .*HTTP 503/);
    expect(world.query("SELECT id FROM prepared_transactions WHERE note LIKE '%x1%'")).toEqual([]);
  });

  it("force-transfer: a role check unanswered is exit 3, not 'has the role'", async () => {
    failing = calling(SELECTOR.hasRole);
    const result = await sto(["force-transfer", `--token-address=${token}`, `--from=${DEPLOYER}`, `--to=${RECEIVER}`, "--amount=1", "--reason=test"]);
    expectExit3OneLine(result, /failed eth_call 2 times .*HTTP 503/);
  });

  it("force-transfer: the token's decimals unanswered are exit 3, not 18", async () => {
    failing = calling(SELECTOR.decimals);
    const result = await sto(["force-transfer", `--token-address=${token}`, `--from=${DEPLOYER}`, `--to=${RECEIVER}`, "--amount=1", "--reason=test"]);
    expectExit3OneLine(result, /failed eth_call 2 times .*HTTP 503/);
  });

  it("voting-results --voters: eth_getLogs unanswered is exit 3 after the retries, with no range halved", async () => {
    failing = (request) => request.method === "eth_getLogs";
    const before = proxy.stats.methods.eth_getLogs ?? 0;
    const result = await sto(["voting-results", `--voting-address=${voting}`, "--voters"]);
    expectExit3OneLine(result, /failed eth_getLogs 2 times .*HTTP 503/);
    expect((proxy.stats.methods.eth_getLogs ?? 0) - before).toBe(2);
  });

  it("token-scan: honours STO_RPC_ATTEMPTS and stops with exit 3", async () => {
    failing = (request) => request.method === "eth_getLogs";
    const before = proxy.stats.methods.eth_getLogs ?? 0;
    const result = await sto(["token-scan", `--token-address=${token}`]);
    expectExit3OneLine(result, /failed eth_getLogs 2 times .*HTTP 503/);
    expect((proxy.stats.methods.eth_getLogs ?? 0) - before).toBe(2);
  });
});
