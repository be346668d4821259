import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress, type Contract } from "ethers";
import { as, type TestSigner } from "../helpers/chain";
import { REPO_ROOT, runSto, tempDir, type StoResult } from "../helpers/cli";
import { mined } from "../helpers/chain";
import { runInTerminal, terminalEnv } from "../helpers/terminal";
import { deployPlainErc20, deploySecurityToken, startScanChain, type ScanChain } from "../helpers/scan-fixtures";

/**
 * The manual's token-scan and cap-table steps through the real executable: a SecurityToken with
 * one transfer history spread over five days, scanned in two runs, printed in every order, format
 * and moment.
 */

interface JsonEntry {
  name: string | null;
  address: string;
  balance: string;
  balanceUnits: string;
  percent: string | null;
  lastTransferBlock: number;
  lastTransferAt: string | null;
}

interface JsonCapTable {
  token: { address: string; name: string; symbol: string; decimals: number };
  atBlock: number;
  totalSupplyUnits: string;
  totalSupplySource: string;
  accountedSupplyUnits: string;
  holderCount: number;
  totalEntries: number;
  entries: JsonEntry[];
}

const DAY = 86_400;
const tmp = tempDir("sto-captable-");
let chain: ScanChain;
let token: Contract;
let tokenAddress: string;
let issuer: TestSigner, alice: TestSigner, bob: TestSigner, carol: TestSigner, dave: TestSigner;
const outsider = "0x00000000000000000000000000000000000000aa";
/** Block and ISO date of each day's transaction. */
const days: { block: number; date: string }[] = [];

/** The CLI on the chain; the cap-table tests share one database, scanned once before them. */
function sto(args: string[], database = "sto.sqlite"): Promise<StoResult> {
  return runSto(["--ethereum-node-url", chain.url, "--database-file", path.join(tmp.dir, database), ...args]);
}

async function capTable(args: string[]): Promise<JsonCapTable> {
  const result = await sto(["cap-table", "--token-address", tokenAddress, "--format", "json", ...args]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as JsonCapTable;
}

function expectOneLineError(result: StoResult, pattern: RegExp, code = 1): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** Mines `send` in a block stamped at noon UTC of `day` days after `start`. */
async function onDay(start: number, day: number, send: () => Promise<unknown>): Promise<void> {
  const timestamp = start + day * DAY + DAY / 2;
  await chain.rpc("evm_setNextBlockTimestamp", [timestamp]);
  await send();
  days[day] = { block: await chain.blockNumber(), date: new Date(timestamp * 1000).toISOString().slice(0, 10) };
}

beforeAll(async () => {
  chain = await startScanChain();
  [issuer, alice, bob, carol, dave] = chain.wallets;
  token = await deploySecurityToken(chain, issuer);
  tokenAddress = await token.getAddress();
  const latest = (await chain.provider.getBlock("latest"))?.timestamp ?? 0;
  const start = Math.ceil(latest / DAY) * DAY + DAY;
  const units = (whole: number) => BigInt(whole) * 10n ** 18n;
  await onDay(start, 1, () => mined(as(token, issuer).issueTokens(units(1_000_000))));
  await onDay(start, 2, () =>
    mined(as(token, issuer).batchTransfer([alice.address, bob.address, carol.address, dave.address, outsider], [units(200_000), units(150_000), units(50_000), units(25_000), units(1)])),
  );
  await onDay(start, 3, () => mined(as(token, carol).transfer(alice.address, units(50_000))));
  await onDay(start, 4, () => mined(as(token, issuer).forceTransfer(dave.address, bob.address, units(5_000), "lost key")));
  await onDay(start, 5, () => mined(as(token, issuer).burnTokens(units(1_000))));
});

afterAll(async () => {
  await chain?.close();
  tmp.cleanup();
});

describe("sto token-scan", () => {
  it("scans up to --end-block, then resumes where it ended", async () => {
    // A database of its own: the first scan of the token.
    const scan = (args: string[]) => sto(args, "resume.sqlite");
    const first = await scan(["--json", "token-scan", "--token-address", tokenAddress.toLowerCase(), "--end-block", String(days[2].block)]);
    expect(first.code).toBe(0);
    const scanned = JSON.parse(first.stdout) as { fromBlock: number; toBlock: number; events: number; previousScannedTo: number | null };
    expect(scanned.toBlock).toBe(days[2].block);
    expect(scanned.previousScannedTo).toBeNull();
    expect(scanned.events).toBe(6);

    const second = await scan(["token-scan", "--token-address", tokenAddress]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`Last scan ended at block: ${days[2].block}`);
    expect(second.stdout).toContain(`Scanning blocks: ${days[2].block + 1} - ${await chain.blockNumber()}`);
    expect(second.stdout).toMatch(/Updated 5 token holder balances/);
    // Not a terminal: no progress bar, no carriage returns.
    expect(second.stderr).not.toContain("\r");

    const third = await scan(["--json", "token-scan", "--token-address", tokenAddress]);
    const again = JSON.parse(third.stdout) as { fromBlock: number; previousScannedTo: number; events: number };
    expect(again.previousScannedTo).toBe(await chain.blockNumber());
    expect(again.events).toBe(0);
  });

  it("explains bad input in one line", async () => {
    expectOneLineError(await sto(["token-scan", "--token-address", "0x1234"]), /--token-address: "0x1234" is not an Ethereum address/);
    expectOneLineError(
      await sto(["token-scan", "--token-address", tokenAddress, "--end-block", "99999999"]),
      /--end-block 99999999 is after the latest block/,
    );
    expectOneLineError(await sto(["token-scan", "--token-address", outsider]), /no contract at 0x0{38}AA on network local/i);
    // A database of its own: first a refused first scan, which must leave nothing behind, then a
    // scan, after which a start beyond the scanned range is refused.
    const scan = (args: string[]) => sto(args, "bad-input.sqlite");
    expectOneLineError(
      await scan(["token-scan", "--token-address", tokenAddress, "--start-block", "99999"]),
      new RegExp(`^error: --start-block 99999 is after the last block to scan, ${await chain.blockNumber()}: nothing to scan$`),
    );
    expect((await scan(["token-scan", "--token-address", tokenAddress])).code).toBe(0);
    expectOneLineError(
      await scan(["token-scan", "--token-address", tokenAddress, "--start-block", "99999"]),
      /--start-block 99999 would leave blocks \d+-99998 unscanned/,
    );
  });
});

describe("sto cap-table", () => {
  beforeAll(async () => {
    const scanned = await sto(["token-scan", "--token-address", tokenAddress, "--end-block", String(days[5].block)]);
    expect(scanned.code, scanned.stderr).toBe(0);
  });

  it("prints the manual's header and the holders with names from example-ids.csv", async () => {
    const result = await sto(["cap-table", "--identity-file", path.join(REPO_ROOT, "example-ids.csv"), "--token-address", tokenAddress]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    for (const label of ["Token address:", "Name:", "Symbol:", "Total supply:", "Accounted supply:", "Holder count:", "Database updated at:", "Last transfer at:"]) {
      expect(result.stdout).toContain(label);
    }
    expect(result.stdout).toMatch(/Name:\s+Moo Corp/);
    expect(result.stdout).toMatch(/Total supply:\s+999000\.00\n/);
    expect(result.stdout).toMatch(/Holder count:\s+5\n/);
    expect(result.stdout).toMatch(/Alice Founder\s+│ 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 │ \S+ │\s+250000\.00 │\s+25\.02 │/);
    expect(result.stdout).toContain("Bob Investor");
    expect(result.stdout).not.toContain("Carol Employee"); // she gave everything away
    expect(result.stdout).not.toContain("co-founder"); // the extra column is ignored
  });

  it("lists emptied accounts with --include-empty", async () => {
    const without = await capTable([]);
    expect(without.entries.map((entry) => entry.address)).not.toContain(carol.address);
    for (const flag of [["--include-empty"], ["--include-empty", "true"]]) {
      const table = await capTable(flag);
      const entry = table.entries.find((item) => item.address === carol.address);
      expect(entry?.balance).toBe("0");
      expect(entry?.percent).toBe("0.00");
      expect(table.holderCount).toBe(5);
    }
    expect((await capTable(["--include-empty", "false"])).entries).toHaveLength(5);
  });

  it("orders by balance, name, updated and address in both directions", async () => {
    const ids = path.join(REPO_ROOT, "example-ids.csv");
    const key: Record<string, (entry: JsonEntry) => string | bigint | number> = {
      balance: (entry) => BigInt(entry.balanceUnits),
      updated: (entry) => entry.lastTransferBlock,
      address: (entry) => entry.address.toLowerCase(),
      name: (entry) => entry.name ?? "\uffff",
    };
    for (const orderBy of ["balance", "name", "updated", "address"]) {
      for (const direction of ["asc", "desc"]) {
        const table = await capTable(["--identity-file", ids, "--order-by", orderBy, "--order-direction", direction]);
        const keys = table.entries.map(key[orderBy]);
        const named = orderBy === "name" ? keys.filter((value) => value !== "\uffff") : keys;
        const sorted = [...named].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(named, `${orderBy} ${direction}`).toEqual(direction === "asc" ? sorted : sorted.reverse());
        if (orderBy === "name") expect(keys.slice(named.length).every((value) => value === "\uffff")).toBe(true);
      }
    }
  });

  it("cuts the list with --max-entries but keeps percentages of all holders", async () => {
    const table = await capTable(["--max-entries", "2"]);
    expect(table.entries).toHaveLength(2);
    expect(table.totalEntries).toBe(5);
    expect(table.entries[0].address).toBe(issuer.address);
    expect(table.entries[0].percent).toBe("57.46");
    const text = await sto(["cap-table", "--token-address", tokenAddress, "--max-entries", "2"]);
    expect(text.stdout).toContain("3 more entries not shown");
  });

  it("prints the cap table as it was at a past block and at a past date", async () => {
    for (const day of [1, 2, 3, 4]) {
      const table = await capTable(["--at-block", String(days[day].block), "--include-empty"]);
      expect(table.atBlock).toBe(days[day].block);
      expect(BigInt(table.totalSupplyUnits)).toBe((await token.totalSupply({ blockTag: days[day].block })) as bigint);
      for (const entry of table.entries) {
        expect(BigInt(entry.balanceUnits)).toBe((await token.balanceOf(entry.address, { blockTag: days[day].block })) as bigint);
      }
      const byDate = await capTable(["--at-date", days[day].date, "--include-empty"]);
      expect(byDate.entries).toEqual(table.entries);
    }
    const dayOne = await capTable(["--at-date", days[1].date]);
    expect(dayOne.entries.map((entry) => entry.address)).toEqual([issuer.address]);
    expect(dayOne.entries[0].percent).toBe("100.00");
    // Noon UTC of day 2 is the moment of the batch transfer: a minute before, it had not happened.
    const beforeBatch = await capTable(["--at-date", `${days[2].date}T11:59:00Z`]);
    expect(beforeBatch.holderCount).toBe(1);
    const text = await sto(["cap-table", "--token-address", tokenAddress, "--at-block", String(days[3].block)]);
    expect(text.stdout).toMatch(new RegExp(`Cap table at:\\s+end of block ${days[3].block}`));
  });

  it("refuses a moment in the future in one line, and takes a day under way", async () => {
    const future = await sto(["cap-table", "--token-address", tokenAddress, "--at-date", "2999-01-01"]);
    expectOneLineError(future, /^error: --at-date: 2999-01-01T23:59:59Z is in the future \(the database is scanned to block \d+, \S+Z\): give a past moment, or leave the date out for the latest scanned state$/);
    const later = await sto(["cap-table", "--token-address", tokenAddress, "--at-date", "2999-01-01T00:00:00+01:00"]);
    expectOneLineError(later, /^error: --at-date: 2998-12-31T23:00:00Z is in the future /);
    // The last scanned day itself is under way: its end is allowed, with the scan's warning.
    const lastDay = await sto(["cap-table", "--token-address", tokenAddress, "--at-date", days[4].date]);
    expect(lastDay.code).toBe(0);
    const today = await sto(["cap-table", "--token-address", tokenAddress, "--at-date", new Date().toISOString().slice(0, 10)]);
    expect(today.code).toBe(0);
  });

  it("fits the table to a terminal: addresses shortened, names wrapped, the last-transfer column left out", async () => {
    const args = ["--ethereum-node-url", chain.url, "--database-file", path.join(tmp.dir, "sto.sqlite"), "cap-table", "--token-address", tokenAddress, "--identity-file", path.join(REPO_ROOT, "example-ids.csv")];
    // eslint-disable-next-line no-control-regex -- the colour sequences of a terminal
    const lines = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\r/g, "").split("\n").filter((line) => line.startsWith("│"));
    const narrow = lines(await runInTerminal(args, terminalEnv(), { columns: 50 }));
    expect(Math.max(...narrow.map((line) => [...line].length))).toBeLessThanOrEqual(50);
    expect(narrow[0]).not.toContain("Last transfer");
    expect(narrow.join("\n")).toContain(`${alice.address.slice(0, 6)}…${alice.address.slice(-4)}`);
    expect(narrow.join("\n")).toMatch(/│ Alice\s+│ 0x7099…79C8 │\s+250000\.00 │ 25\.02 │\n│ Founder\s+│/);
    const wide = lines(await runInTerminal(["--wide", ...args], terminalEnv(), { columns: 60 }));
    expect(wide[0]).toContain("Last transfer");
    expect(wide.join("\n")).toContain(alice.address);
  });

  it("writes CSV with exact balances, and JSON with --json as with --format json", async () => {
    const csv = await sto(["cap-table", "--token-address", tokenAddress, "--format", "csv", "--identity-file", path.join(REPO_ROOT, "example-ids.csv")]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("name,address,balance,percent,last_transfer_block,last_transfer_at,last_change,verified");
    expect(lines).toHaveLength(6);
    expect(lines).toContain(`Alice Founder,${alice.address},250000,25.02,${days[3].block},${days[3].date}T12:00:00Z,transfer,true`);
    expect(lines).toContain(`,${getAddress(outsider)},1,0.00,${days[2].block},${days[2].date}T12:00:00Z,transfer,true`);

    const json = await sto(["--json", "cap-table", "--token-address", tokenAddress]);
    const formatJson = await sto(["cap-table", "--token-address", tokenAddress, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(formatJson.stdout));
    const table = JSON.parse(json.stdout) as JsonCapTable;
    expect(table.totalSupplySource).toBe("contract");
    expect(table.accountedSupplyUnits).toBe(table.totalSupplyUnits);
    expect(table.entries.reduce((sum, entry) => sum + Number(entry.percent), 0).toFixed(2)).toBe("100.00");
  });

  it("explains bad input in one line with a non-zero exit", async () => {
    const plain = await deployPlainErc20(chain, issuer);
    expectOneLineError(
      await sto(["cap-table", "--token-address", await plain.getAddress()]),
      /has not been scanned on this network: run token-scan first/,
    );
    expectOneLineError(await sto(["cap-table", "--token-address", "0xZZ"]), /--token-address: "0xZZ" is not an Ethereum address/);
    const badIds = path.join(tmp.dir, "ids.csv");
    fs.writeFileSync(badIds, `name,address\nAlice,${alice.address}\nBob,0xnot-an-address\n`);
    expectOneLineError(
      await sto(["cap-table", "--token-address", tokenAddress, "--identity-file", badIds]),
      new RegExp(`${badIds.replace(/[/.]/g, "\\$&")} row 3, column address: "0xnot-an-address" is not an Ethereum address`),
    );
    expectOneLineError(
      await sto(["cap-table", "--token-address", tokenAddress, "--at-block", "99999"]),
      /block 99999 is not scanned yet .*: run token-scan first/,
    );
    expectOneLineError(await sto(["cap-table", "--token-address", tokenAddress, "--at-date", "last tuesday"]), /--at-date: "last tuesday" is not an ISO-8601 date/);
    expectOneLineError(
      await sto(["cap-table", "--token-address", tokenAddress, "--at-block", String(days[3].block), "--at-date", days[3].date]),
      /^error: give either --at-block or --at-date, not both$/,
    );
    expectOneLineError(await sto(["cap-table", "--token-address", tokenAddress, "--at-date", "2001-01-01"]), /2001-01-01T23:59:59Z is before the token was created \(block \d+, /);
    expectOneLineError(await sto(["cap-table", "--token-address", tokenAddress, "--at-block", "0"]), /block 0 is before the token was created/);
    expectOneLineError(await sto(["--json", "cap-table", "--token-address", tokenAddress, "--format", "csv"]), /--json conflicts with --format csv/);
    const usage = await sto(["cap-table", "--token-address", tokenAddress, "--order-by", "size"]);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).toMatch(/Allowed choices are balance, name, updated, address/);
  });

  it("documents both commands in --help", async () => {
    const scanHelp = await runSto(["token-scan", "--help"]);
    expect(scanHelp.stdout).toMatch(/--start-block <block>/);
    expect(scanHelp.stdout).toMatch(/reorganisation/);
    const capHelp = await runSto(["cap-table", "--help"]);
    for (const option of ["--identity-file", "--order-by", "--order-direction", "--include-empty", "--max-entries", "--accuracy", "--at-block", "--at-date", "--format"]) {
      expect(capHelp.stdout).toContain(option);
    }
    expect(capHelp.stdout).toMatch(/largest remainder/);
  });
});
