import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, type Contract } from "ethers";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { as, mined } from "../helpers/chain";
import { runSto, tempDir, type StoResult } from "../helpers/cli";
import { startAnvil, type Anvil } from "../helpers/foundry";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { randomAddresses, startScanChain, type ScanChain } from "../helpers/scan-fixtures";
import { seededRandom } from "../helpers/random";

/**
 * How token-scan reads balanceOf for its check against the chain, through the real CLI: without
 * Multicall3 one deployless eth_call reads up to 744 balances (contracts/reads/AccountReads.sol),
 * a holder whose balanceOf reverts or answers garbage does not sink the others, and a node that
 * refuses the deployless call (an eth_call gas cap, a proxy that will not run it) or also refuses
 * batches gets the same verdict, holder for holder, from JSON-RPC batches or single calls. On
 * Hardhat's chain and on Foundry's anvil.
 */

interface Verification {
  status: string;
  holdersChecked: number;
  holdersUnreadable: number;
  holdersDiffering: number;
  differences: unknown[];
  cause: string | null;
  method: string;
  requests: number;
  elapsedMs: number;
  block: number;
}

const HOLDERS = 760; // more than one deployless call's 744
const tmp = tempDir("sto-reads-");
let databases = 0;
afterAll(() => tmp.cleanup());

const ARTIFACT = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../../artifacts/contracts/test/RefusingBalanceToken.sol/RefusingBalanceToken.json"), "utf8"),
) as { abi: []; bytecode: string };

/** The token with HOLDERS holders, the first refused by balanceOf, the second answered with 16 bytes. */
async function refusingToken(runner: Wallet | NonceManager | Parameters<typeof as>[1]): Promise<{ token: Contract; address: string; holders: string[] }> {
  const factory = new ContractFactory(ARTIFACT.abi, ARTIFACT.bytecode, runner as Wallet);
  const token = (await factory.deploy()) as unknown as Contract;
  await token.waitForDeployment();
  const holders = randomAddresses(HOLDERS, seededRandom(14));
  for (let i = 0; i < holders.length; i += 380) await mined(token.spread(holders.slice(i, i + 380), 10n ** 18n));
  await mined(token.setOddHolders(holders[0], holders[1]));
  return { token, address: await token.getAddress(), holders };
}

async function scan(url: string, address: string, extra: string[] = []): Promise<{ result: StoResult; verification: Verification }> {
  const database = path.join(tmp.dir, `reads-${++databases}.sqlite`);
  const result = await runSto(["--ethereum-node-url", url, "--database-file", database, "--json", "token-scan", "--token-address", address, ...extra]);
  expect(result.stdout, result.stderr).not.toBe("");
  return { result, verification: (JSON.parse(result.stdout) as { verification: Verification }).verification };
}

/** Refuses eth_call without a recipient (deployless), and JSON-RPC batches too when asked. */
function refuse(proxy: RpcProxy, { batches }: { batches: boolean }): void {
  proxy.setResponder((request, response) => {
    const deployless = request.method === "eth_call" && !(request.params[0] as { to?: string }).to;
    const batch = batches && request.method.startsWith("batch:");
    if (!deployless && !batch) return false;
    response.writeHead(200, { "content-type": "application/json" });
    const error = batch ? { code: -32600, message: "batch requests are not supported" } : { code: -32000, message: "contract creation in eth_call is not supported" };
    response.end(JSON.stringify({ jsonrpc: "2.0", id: batch ? null : request.id, error }));
    return true;
  });
}

/** The verdict without how, how fast and at which block it was read: what every way must agree on. */
function verdict({ method: _method, requests: _requests, elapsedMs: _elapsed, block: _block, ...rest }: Verification): Omit<Verification, "method" | "requests" | "elapsedMs" | "block"> {
  return rest;
}

function expectPartial(result: StoResult, verification: Verification): void {
  expect(result.code, result.stderr).toBe(0);
  expect(verification).toMatchObject({ status: "partial", holdersChecked: HOLDERS - 1, holdersUnreadable: 2, holdersDiffering: 0 });
  expect(result.stderr).toMatch(new RegExp(`verified only ${HOLDERS - 1} holder balances at block \\d+ \\(2 balanceOf calls failed\\)`));
}

describe("on Hardhat's local chain", () => {
  let chain: ScanChain;
  let proxy: RpcProxy;
  beforeAll(async () => {
    chain = await startScanChain();
    proxy = await startRpcProxy(chain.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await chain?.close();
  });

  it("reads the balances deployless, and a node that refuses that (and batches) gives the same verdict", async () => {
    const { address } = await refusingToken(chain.wallets[0]);
    const deployless = await scan(chain.url, address);
    expectPartial(deployless.result, deployless.verification);
    expect(deployless.verification.method).toBe("deployless");

    refuse(proxy, { batches: false });
    const batched = await scan(proxy.url, address);
    expectPartial(batched.result, batched.verification);
    expect(batched.verification.method).toBe("batch");
    expect(verdict(batched.verification)).toEqual(verdict(deployless.verification));

    refuse(proxy, { batches: true });
    const single = await scan(proxy.url, address);
    expectPartial(single.result, single.verification);
    expect(single.verification.method).toBe("single");
    expect(verdict(single.verification)).toEqual(verdict(deployless.verification));
    proxy.setResponder(undefined);
  });
});

describe("on Foundry's anvil", () => {
  let anvil: Anvil;
  let capped: Anvil;
  beforeAll(async () => {
    [anvil, capped] = await Promise.all([startAnvil(), startAnvil({ args: ["--gas-limit", "30000000"] })]);
  });
  afterAll(async () => {
    await Promise.all([anvil?.close(), capped?.close()]);
  });

  it("reads the balances deployless, and a node whose eth_call gas cap is too low for it gets the same verdict in batches", async () => {
    const deployer = new NonceManager(new Wallet(DEVELOPMENT_PRIVATE_KEY, new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true })));
    const { address } = await refusingToken(deployer);
    const deployless = await scan(anvil.url, address);
    expectPartial(deployless.result, deployless.verification);
    expect(deployless.verification.method).toBe("deployless");

    const lowCap = new NonceManager(new Wallet(DEVELOPMENT_PRIVATE_KEY, new JsonRpcProvider(capped.url, undefined, { staticNetwork: true })));
    const other = await refusingToken(lowCap);
    // From here on anvil's eth_call gets at most 2,000,000 gas: too little for 744 balances in one call.
    await capped.rpc("evm_setBlockGasLimit", ["0x1e8480"]);
    await capped.rpc("evm_mine");
    const batched = await scan(capped.url, other.address);
    expectPartial(batched.result, batched.verification);
    expect(batched.verification.method).toBe("batch");
    expect(verdict(batched.verification)).toEqual(verdict(deployless.verification));
  });
});
