import { ContractFactory, solidityPacked, JsonRpcProvider, NonceManager, Wallet } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAccountCodesArguments, readHasCode } from "../../src/chain/codes";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { JsonRpcTransport } from "../../src/chain/rpc";
import { startAnvil, type Anvil } from "../helpers/foundry";
import { seededBytes, seededRandom, testSeed } from "../helpers/random";
import { randomAddresses, startScanChain, type ScanChain } from "../helpers/scan-fixtures";

/**
 * Which receivers of a distribution are contracts: one deployless eth_call per 1,000 accounts
 * (contracts/reads/AccountCodes.sol) instead of one eth_getCode each, with the same verdict, account
 * for account, on Hardhat's chain and on anvil, and eth_getCode in batches where a node's eth_call
 * gas cap is too low for the deployless call.
 */
const SEED = testSeed("account-codes.test.ts");
const PLAIN = JSON.parse(fs.readFileSync(path.join(__dirname, "../../artifacts/contracts/test/PlainERC20.sol/PlainERC20.json"), "utf8")) as { abi: []; bytecode: string };

/** 2,500 accounts (three calls of at most 1,000), contracts at each call's edges, the rest without code. */
async function accountsWithContracts(url: string): Promise<{ accounts: string[]; contracts: Set<number> }> {
  const deployer = new NonceManager(new Wallet(DEVELOPMENT_PRIVATE_KEY, new JsonRpcProvider(url, undefined, { staticNetwork: true })));
  const accounts = randomAddresses(2_500, seededRandom(SEED));
  const contracts = new Set([0, 999, 1_000, 1_999, 2_000, 2_499]);
  for (const index of contracts) {
    const deployed = await new ContractFactory(PLAIN.abi, PLAIN.bytecode, deployer).deploy("Plain", "PLN");
    await deployed.waitForDeployment();
    accounts[index] = await deployed.getAddress();
  }
  // A funded account without code (the deployer) is not a contract either.
  accounts[1_500] = await deployer.getAddress();
  return { accounts, contracts };
}

async function expectSameAsGetCode(url: string, accounts: string[], contracts: Set<number>, method: "deployless" | "getCode"): Promise<void> {
  const node = new JsonRpcTransport(url);
  try {
    const block = Number(await node.call<string>("eth_blockNumber", []));
    const reading = await readHasCode(node, accounts, block);
    expect(reading.method).toBe(method);
    expect(reading.hasCode).toEqual(accounts.map((_, index) => contracts.has(index)));
    // And what eth_getCode says, asked of a few accounts on each side.
    for (const index of [0, 1, 999, 1_000, 1_500, 2_498, 2_499]) {
      const code = await node.call<string>("eth_getCode", [accounts[index], `0x${block.toString(16)}`]);
      expect(code !== "0x", `account ${index}`).toBe(reading.hasCode[index]);
    }
  } finally {
    node.close();
  }
}

describe("the accounts after AccountCodes' creation code", () => {
  it("are packed as Solidity packs addresses, then their count, for no, one and 1,000 accounts in any case; what is not an address is refused", () => {
    const next = seededRandom(SEED);
    for (const count of [0, 1, 1_000]) {
      const accounts = Array.from({ length: count }, (_, index) => {
        const hex = seededBytes(next, 20).toString("hex");
        return index % 2 === 0 ? `0x${hex}` : `0x${hex.toUpperCase()}`;
      });
      const packed = solidityPacked([...accounts.map(() => "address"), "uint256"], [...accounts, count]);
      expect(encodeAccountCodesArguments(accounts)).toBe(packed.slice(2).toLowerCase());
    }
    expect(() => encodeAccountCodesArguments([`0x${"a".repeat(40)}`, `0x${"a".repeat(39)}`])).toThrow(/not an address/);
  });
});

describe("readHasCode", () => {
  let chain: ScanChain;
  let anvil: Anvil;
  let capped: Anvil;
  beforeAll(async () => {
    [chain, anvil, capped] = await Promise.all([startScanChain(), startAnvil(), startAnvil()]);
  });
  afterAll(async () => {
    await Promise.all([chain?.close(), anvil?.close(), capped?.close()]);
  });

  it("tells the contracts among 2,500 accounts in three deployless calls, as eth_getCode does, on Hardhat's chain and on anvil", async () => {
    for (const url of [chain.url, anvil.url]) {
      const { accounts, contracts } = await accountsWithContracts(url);
      await expectSameAsGetCode(url, accounts, contracts, "deployless");
    }
  });

  it("falls back to eth_getCode where the node's eth_call gas cap is too low for a deployless call of 1,000 accounts", async () => {
    const { accounts, contracts } = await accountsWithContracts(capped.url);
    // From here on anvil's eth_call gets at most 2,000,000 gas: 1,000 cold EXTCODESIZEs need about 3 M.
    await capped.rpc("evm_setBlockGasLimit", ["0x1e8480"]);
    await capped.rpc("evm_mine");
    await expectSameAsGetCode(capped.url, accounts, contracts, "getCode");
  });
});
