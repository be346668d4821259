import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress, type Contract } from "ethers";
import { as, mined, type TestSigner } from "../helpers/chain";
import { runSto, tempDir, type StoResult } from "../helpers/cli";
import { startRpcProxy } from "../helpers/rpc-proxy";
import { startScanChain, type ScanChain } from "../helpers/scan-fixtures";

/**
 * Tokens whose Transfer events do not tell the whole story, through the real CLI on a real local
 * chain: a mint without Transfer (shaped like USDT), a fee burned on every transfer, a rebase.
 * token-scan reports each with exit status 4 and its likely cause, cap-table marks them unverified
 * and never prints a balance below zero, and --reconcile makes the cap table at the scanned block
 * equal balanceOf while earlier blocks stay unverified.
 */

interface ScanJson {
  toBlock: number;
  scannedToBlock: number;
  verification: {
    block: number;
    status: string;
    verified: boolean;
    holdersChecked: number;
    holdersDiffering: number;
    negativeBalances: number;
    differences: { address: string; scannedUnits: string; chainUnits: string; differenceUnits: string }[];
    cause: string | null;
    corrections: number;
    method: string;
  } | null;
}

interface CapTableJson {
  atBlock: number;
  totalSupplyUnits: string;
  totalSupplySource: string;
  accountedSupplyUnits: string;
  negativeBalances: number;
  missingEvents: { address: string; shortfallUnits: string }[];
  verified: boolean;
  verification: { reason: string | null; checkBlock: number | null; checkStatus: string | null; differences: { address: string; differenceUnits: string }[]; cause: string | null };
  entries: { address: string; balanceUnits: string; percent: string | null; lastChange: string }[];
}

const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
const units = (whole: number) => BigInt(whole) * 10n ** 18n;
let chain: ScanChain;
let owner: TestSigner, alice: TestSigner, bob: TestSigner, carol: TestSigner;
const tmp = tempDir("sto-truth-");
let databases = 0;

beforeAll(async () => {
  chain = await startScanChain();
  [owner, alice, bob, carol] = chain.wallets;
});

afterAll(async () => {
  await chain?.close();
  tmp.cleanup();
});

/** A CLI bound to one database file (each token gets its own). */
function cli(url = () => chain.url): (args: string[]) => Promise<StoResult> {
  const database = path.join(tmp.dir, `truth-${++databases}.sqlite`);
  return (args) => runSto(["--ethereum-node-url", url(), "--database-file", database, ...args]);
}

async function scan(sto: (args: string[]) => Promise<StoResult>, token: string, extra: string[] = []): Promise<{ result: StoResult; json: ScanJson }> {
  const result = await sto(["--json", "token-scan", "--token-address", token, ...extra]);
  return { result, json: JSON.parse(result.stdout) as ScanJson };
}

async function capTable(sto: (args: string[]) => Promise<StoResult>, token: string, extra: string[] = []): Promise<{ result: StoResult; json: CapTableJson }> {
  const result = await sto(["cap-table", "--token-address", token, "--format", "json", "--include-empty", ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return { result, json: JSON.parse(result.stdout) as CapTableJson };
}

/** The "chain disagrees" exit: status 4, the report on stderr and one error line last. */
function expectDisagreement(result: StoResult, cause: RegExp): void {
  expect(result.code, result.stderr).toBe(4);
  const lines = result.stderr.trim().split("\n");
  expect(lines[lines.length - 1]).toMatch(/^error: the chain disagrees with the scanned balances at block \d+: .*run token-scan --reconcile/);
  expect(lines.filter((line) => line.startsWith("error:"))).toHaveLength(1);
  expect(result.stderr).toMatch(cause);
}

/** Every entry of the cap table equals balanceOf at its block, and so do the participants it omits. */
async function expectEqualsChain(table: CapTableJson, token: Contract, participants: string[]): Promise<void> {
  const listed = new Map(table.entries.map((entry) => [entry.address, BigInt(entry.balanceUnits)]));
  for (const address of new Set([...listed.keys(), ...participants.map((item) => getAddress(item))])) {
    const onChain = (await token.balanceOf(address, { blockTag: table.atBlock })) as bigint;
    expect(listed.get(address) ?? 0n, `balance of ${address} at block ${table.atBlock}`).toBe(onChain);
  }
  expect(BigInt(table.accountedSupplyUnits)).toBe((await token.totalSupply({ blockTag: table.atBlock })) as bigint);
  expect(table.negativeBalances).toBe(0);
}

describe("a token that mints without Transfer events (like USDT)", () => {
  it("is reported, never shows a negative balance, and --reconcile makes the cap table equal balanceOf", async () => {
    const token = await chain.test.deploy("SilentMintToken", [units(1_000_000)], owner);
    const address = await token.getAddress();
    await mined(as(token, owner).transfer(alice.address, units(100)));
    await mined(as(token, owner).transfer(bob.address, units(50)));
    await mined(as(token, owner).issue(units(500)));
    const sto = cli();

    const { result, json } = await scan(sto, address);
    expectDisagreement(result, /likely cause: .*minted without a Transfer event/);
    const verification = json.verification;
    expect(verification?.status).toBe("mismatch");
    expect(verification?.negativeBalances).toBe(1);
    expect(verification?.differences).toEqual([
      expect.objectContaining({ address: owner.address, scannedUnits: (-units(150)).toString(), chainUnits: units(1_000_350).toString() }),
    ]);
    // The report never shows the owner's balance below zero.
    expect(result.stderr).toContain(`${owner.address}: events show 150 more sent than received, balanceOf says 1000350`);

    const unverified = await capTable(sto, address);
    expect(unverified.json.verified).toBe(false);
    expect(unverified.json.verification.checkStatus).toBe("mismatch");
    expect(unverified.json.verification.cause).toMatch(/minted without a Transfer event/);
    expect(unverified.json.entries.map((entry) => entry.address)).not.toContain(owner.address);
    expect(unverified.json.entries.every((entry) => !entry.balanceUnits.startsWith("-"))).toBe(true);
    expect(unverified.json.missingEvents).toEqual([{ address: owner.address, shortfall: "150", shortfallUnits: units(150).toString() }]);
    expect(unverified.result.stderr).toMatch(/warning: events are missing: .*sent more than they received/);
    expect(unverified.result.stderr).toMatch(/warning: unverified: the chain disagreed at block \d+/);

    const text = await sto(["cap-table", "--token-address", address]);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^UNVERIFIED: the chain does not back these numbers at block \d+/);
    expect(text.stdout).toMatch(/Verified:\s+NO: /);
    expect(text.stdout).not.toMatch(/│\s+-[0-9]/);
    const html = path.join(tmp.dir, `unverified-${databases}.html`);
    expect((await sto(["cap-table", "--token-address", address, "--format", "html", "--output", html])).code).toBe(0);
    expect(fs.readFileSync(html, "utf8")).toMatch(/<p class="unverified" id="unverified-banner" role="alert">UNVERIFIED: the chain does not back these numbers at block \d+: /);
    const csv = await sto(["cap-table", "--token-address", address, "--format", "csv"]);
    const [header, ...rows] = csv.stdout.trim().split("\n");
    expect(header).toBe("name,address,balance,percent,last_transfer_block,last_transfer_at,last_change,verified");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.endsWith(",transfer,false"))).toBe(true);

    const reconciled = await scan(sto, address, ["--reconcile"]);
    expect(reconciled.result.code, reconciled.result.stderr).toBe(0);
    expect(reconciled.json.verification).toMatchObject({ status: "reconciled", verified: true, corrections: 1 });

    const head = await capTable(sto, address);
    expect(head.result.stderr).toBe("");
    expect(head.json.verified).toBe(true);
    expect(head.json.verification.checkStatus).toBe("reconciled");
    await expectEqualsChain(head.json, token, [owner.address, alice.address, bob.address]);
    expect(head.json.entries.find((entry) => entry.address === owner.address)?.lastChange).toBe("correction");
    expect(head.json.entries.find((entry) => entry.address === alice.address)?.lastChange).toBe("transfer");
    const headText = await sto(["cap-table", "--token-address", address]);
    expect(headText.stdout).toMatch(new RegExp(`${owner.address} │ correction, `));
    expect(headText.stdout).not.toContain("UNVERIFIED");
    const verifiedHtml = path.join(tmp.dir, `verified-${databases}.html`);
    expect((await sto(["cap-table", "--token-address", address, "--format", "html", "--output", verifiedHtml])).code).toBe(0);
    expect(fs.readFileSync(verifiedHtml, "utf8")).not.toContain("unverified-banner");

    // Earlier blocks stay unverified: the events before the correction are incomplete.
    const earlier = await capTable(sto, address, ["--at-block", String(head.json.atBlock - 1)]);
    expect(earlier.json.verified).toBe(false);
    expect(earlier.json.verification.reason).toMatch(/balances were corrected there/);

    // Later transfers on top of the correction are exact again.
    await mined(as(token, owner).transfer(carol.address, units(7)));
    await mined(as(token, alice).transfer(bob.address, units(1)));
    const later = await sto(["token-scan", "--token-address", address]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toMatch(/Verified at block \d+: 4 holder balances and the total supply agree with the chain/);
    const now = await capTable(sto, address);
    expect(now.json.verified).toBe(true);
    await expectEqualsChain(now.json, token, [owner.address, alice.address, bob.address, carol.address]);
  });
});

describe("a fee-on-transfer token", () => {
  it("is reported with the receivers that hold less, and reconciled to balanceOf", async () => {
    const token = await chain.test.deploy("FeeOnTransferToken", [units(1_000_000), 100], owner);
    const address = await token.getAddress();
    await mined(as(token, owner).transfer(alice.address, units(1_000)));
    await mined(as(token, alice).transfer(bob.address, units(100)));
    await mined(as(token, owner).transfer(carol.address, units(10)));
    const sto = cli();

    const { result, json } = await scan(sto, address);
    expectDisagreement(result, /likely cause: .*fee on transfers.*burned/);
    expect(json.verification?.holdersDiffering).toBe(3);
    // The largest difference first: alice received 1,000 (-10 fee) and sent 100.
    expect(json.verification?.differences[0]).toMatchObject({ address: alice.address, differenceUnits: (-units(10)).toString() });
    const table = await capTable(sto, address);
    expect(table.json.verified).toBe(false);
    expect(table.json.verification.differences.map((item) => item.address).sort()).toEqual([alice.address, bob.address, carol.address].sort());

    const reconciled = await sto(["token-scan", "--token-address", address, "--reconcile"]);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toMatch(/Reconciled at block \d+: recorded 3 corrections; cap tables from block \d+ on equal balanceOf\n/);
    expect(reconciled.stderr).toMatch(/warning: the chain disagrees at block \d+: 3 of 4 holders checked differ/);
    const head = await capTable(sto, address);
    expect(head.json.verified).toBe(true);
    expect(head.json.totalSupplySource).toBe("contract");
    expect(head.json.totalSupplyUnits).toBe(head.json.accountedSupplyUnits);
    await expectEqualsChain(head.json, token, [owner.address, alice.address, bob.address, carol.address]);
  });
});

describe("a rebasing token", () => {
  it("is reported as a rebase, reconciled to balanceOf, and read through Multicall3 where the chain has it", async () => {
    const token = await chain.test.deploy("RebasingToken", [], owner);
    const address = await token.getAddress();
    await mined(as(token, owner).mint(owner.address, units(1_000)));
    await mined(as(token, owner).transfer(alice.address, units(100)));
    await mined(as(token, owner).transfer(bob.address, units(50)));
    const sto = cli();
    const clean = await scan(sto, address);
    expect(clean.result.code, clean.result.stderr).toBe(0);
    // The local chain has no Multicall3: one deployless eth_call reads the balances.
    expect(clean.json.verification).toMatchObject({ status: "match", holdersChecked: 3, method: "deployless" });

    await mined(as(token, owner).rebase(11n * 10n ** 17n)); // every balance ×1.1
    const { result, json } = await scan(sto, address);
    expectDisagreement(result, /likely cause: 3 holders' balances changed by the same factor \(×1\.100000\) without Transfer events: a rebasing/);
    expect(json.verification?.holdersDiffering).toBe(3);
    expect((await capTable(sto, address)).json.verified).toBe(false);
    // The cap table before the rebase is still backed by the first scan's check.
    expect((await capTable(sto, address, ["--at-block", String(clean.json.scannedToBlock)])).json.verified).toBe(true);

    // Multicall3's code at its address: one eth_call reads every balance.
    const multicall = await chain.test.deploy("Multicall3", [], owner);
    const code = await chain.rpc<string>("eth_getCode", [await multicall.getAddress(), "latest"]);
    await chain.rpc("hardhat_setCode", [MULTICALL3, code]);
    try {
      await chain.mine();
      const reconciled = await scan(sto, address, ["--reconcile"]);
      expect(reconciled.result.code, reconciled.result.stderr).toBe(0);
      expect(reconciled.json.verification).toMatchObject({ status: "reconciled", corrections: 3, method: "multicall3" });
    } finally {
      await chain.rpc("hardhat_setCode", [MULTICALL3, "0x"]);
    }
    const head = await capTable(sto, address);
    expect(head.json.verified).toBe(true);
    await expectEqualsChain(head.json, token, [owner.address, alice.address, bob.address]);
  });
});

describe("a node that refuses JSON-RPC batches and deployless calls", () => {
  it("gets the balances one call at a time, with the same verdict", async () => {
    const token = await chain.test.deploy("FeeOnTransferToken", [units(1_000), 250], owner);
    const address = await token.getAddress();
    await mined(as(token, owner).transfer(alice.address, units(100)));
    const proxy = await startRpcProxy(chain.url);
    proxy.setResponder((request, response) => {
      if (request.method === "eth_call" && !(request.params[0] as { to?: string }).to) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, error: { code: -32000, message: "contract creation in eth_call is not supported" } }));
        return true;
      }
      if (!request.method.startsWith("batch:")) return false;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } }));
      return true;
    });
    try {
      const sto = cli(() => proxy.url);
      const { result, json } = await scan(sto, address);
      expectDisagreement(result, /fee on transfers/);
      expect(json.verification).toMatchObject({ method: "single", holdersDiffering: 1 });
      expect(json.verification?.differences[0]).toMatchObject({ address: alice.address, differenceUnits: (-units(25) / 10n).toString() });
    } finally {
      await proxy.close();
    }
  });
});
