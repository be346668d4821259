import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, type Contract, type ContractRunner } from "ethers";
import { readBalances } from "../../src/chain/balances";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { JsonRpcTransport, RpcError, toBlockTag } from "../../src/chain/rpc";
import { mined } from "../helpers/chain";
import { startAnvil, type Anvil } from "../helpers/foundry";
import { randomAddresses, startScanChain, type ScanChain } from "../helpers/scan-fixtures";
import { seededRandom } from "../helpers/random";

/**
 * The deployless read (contracts/reads/AccountReads.sol through readBalances) on real nodes, Hardhat's
 * and anvil: one eth_call answers every holder whose balanceOf answers one word, the first holder of
 * the call included; a holder whose call reverts or answers 16 bytes, wherever it stands (right after
 * a holder that answered), is read again on its own without sinking the call; a first balance whose
 * top byte is 0xEF (an answer a node refuses to create as code, EIP-3541) does not sink it either.
 * Every balance equals a plain eth_call of balanceOf.
 */

const ARTIFACT = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../../artifacts/contracts/test/RefusingBalanceToken.sol/RefusingBalanceToken.json"), "utf8"),
) as { abi: []; bytecode: string };

const BALANCE_OF = "0x70a08231";

interface Fixture {
  node: JsonRpcTransport;
  token: string;
  block: number;
  /** holders[1] answers 16 bytes, holders[5] reverts; holders[0] holds 0xEF… (top byte 0xEF). */
  holders: string[];
}

async function fixture(url: string, runner: ContractRunner): Promise<Fixture> {
  const factory = new ContractFactory(ARTIFACT.abi, ARTIFACT.bytecode, runner);
  const token = (await factory.deploy()) as unknown as Contract;
  await token.waitForDeployment();
  const holders = randomAddresses(40, seededRandom(19));
  await mined(token.spread(holders, 10n ** 18n));
  await mined(token.mint(holders[0], 0xefn << 248n));
  await mined(token.setOddHolders(holders[5], holders[1]));
  const node = new JsonRpcTransport(url);
  const block = Number(await node.call<string>("eth_blockNumber", []));
  return { node, token: await token.getAddress(), block, holders };
}

/** balanceOf by one plain eth_call: null where it reverts or answers anything but one word. */
async function plainBalance({ node, token, block }: Fixture, holder: string): Promise<bigint | null> {
  try {
    const answer = await node.call<string>("eth_call", [{ to: token, data: `${BALANCE_OF}${holder.slice(2).padStart(64, "0")}` }, toBlockTag(block)]);
    return /^0x[0-9a-f]{64}$/i.test(answer) ? BigInt(answer) : null;
  } catch (error) {
    if (error instanceof RpcError) return null;
    throw error;
  }
}

async function expectDeploylessReads(setup: Fixture): Promise<void> {
  const { node, token, block, holders } = setup;
  const plain = new Map<string, bigint | null>();
  for (const holder of holders) plain.set(holder, await plainBalance(setup, holder));
  expect(plain.get(holders[0])).toBe((0xefn << 248n) + 10n ** 18n);
  expect(plain.get(holders[1])).toBeNull();
  expect(plain.get(holders[5])).toBeNull();

  // Every holder answers: one deployless eth_call and nothing read again (the first holder neither).
  const good = holders.filter((_, index) => index !== 1 && index !== 5);
  const clean = await readBalances(node, token, good, block);
  expect(clean).toMatchObject({ method: "deployless", requests: 1 });
  expect([...clean.balances]).toEqual(good.map((holder) => [holder, plain.get(holder)]));

  // The odd ones in the middle, the garbled one right after a holder that answered: the call
  // still answers the others, and the two are read again in one JSON-RPC batch.
  const all = await readBalances(node, token, holders, block);
  expect(all).toMatchObject({ method: "deployless", requests: 2 });
  expect([...all.balances].sort()).toEqual(holders.map((holder) => [holder, plain.get(holder)]).sort());

  // A call that starts with the garbled holder, then one that answers.
  const garbledFirst = [holders[1], ...good.slice(0, 3)];
  const first = await readBalances(node, token, garbledFirst, block);
  expect(first).toMatchObject({ method: "deployless", requests: 2 });
  expect([...first.balances].sort()).toEqual(garbledFirst.map((holder) => [holder, plain.get(holder)]).sort());
}

describe("deployless balance reads on Hardhat's local chain", () => {
  let chain: ScanChain;
  beforeAll(async () => {
    chain = await startScanChain();
  });
  afterAll(async () => {
    await chain?.close();
  });

  it("answer every holder in one eth_call, and read only the failing ones again", async () => {
    await expectDeploylessReads(await fixture(chain.url, chain.wallets[0]));
  });
});

describe("deployless balance reads on Foundry's anvil", () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.close();
  });

  it("answer every holder in one eth_call, and read only the failing ones again", async () => {
    const deployer = new NonceManager(new Wallet(DEVELOPMENT_PRIVATE_KEY, new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true })));
    await expectDeploylessReads(await fixture(anvil.url, deployer));
  });
});
