import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Contract } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { startWorld, tokenAddressFrom, worldFixture, type E2eWorld } from "../helpers/e2e";
import { startRpcProxy } from "../helpers/rpc-proxy";

// Lock-ups from distributions (locked_until, --locked-until) and the cap table's locked and frozen
// columns (cap-table --compliance), on the real CLI and a real chain, with time travel. Every test
// starts from a copy of its own of the same state: 1000 LCK issued and mined, nothing else.
const artifacts = new ContractArtifacts();
const abi = artifacts.get("SecurityToken").abi;
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const CAROL = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const DAVE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
// Development account #5: receives shares here, holds no role on the token.
const EVE = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const EVE_KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const DAY = 86_400;
const UNIT = 10n ** 18n;

interface HolderJson {
  address: string;
  balance: string;
  compliance: { locked: string; lockedUnits: string; nextReleaseAt: string | null; addressFrozen: boolean; frozenTokens: string } | null;
}
interface CapTableJson {
  atBlock: number;
  compliance: { block: number; atCapTableBlock: boolean } | null;
  entries: HolderJson[];
}

describe("lock-ups from distributions, and the cap table's locked and frozen columns", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let token: string;
  const settle = async (): Promise<void> => {
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    expect(world.query<{ note: string }>("SELECT note FROM prepared_transactions WHERE status <> 'success'")).toEqual([]);
  };
  const count = (): number => world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;
  const lastMethods = (n: number): string[] =>
    world
      .query<{ function_signature: string | null }>("SELECT function_signature FROM prepared_transactions ORDER BY id DESC LIMIT ?", n)
      .map((row) => (row.function_signature ?? "").split("(")[0])
      .reverse();
  const chainTime = async (): Promise<number> => (await world.provider.getBlock("latest"))!.timestamp;
  const capTable = async (...args: string[]): Promise<CapTableJson> =>
    JSON.parse((await world.ok(["--json", "cap-table", `--token-address=${token}`, "--compliance", ...args])).stdout) as CapTableJson;
  const holder = (table: CapTableJson, address: string): HolderJson => table.entries.find((entry) => entry.address === address)!;
  const writeCsv = (name: string, lines: string[]): string => {
    const file = path.join(world.dir, name);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  };

  beforeAll(async () => {
    world = chainWorld = await startWorld();
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=LCK", "--name=Lock Corp", "--url=https://example.com", "--amount=1000"]));
    await settle();
    fixture = await worldFixture(chainWorld);
  }, 120_000);
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld.close());

  it("refuses bad locked_until values with file, row and field, and prepares nothing", async () => {
    const now = await chainTime();
    const before = count();
    const file = writeCsv("bad-locks.csv", [
      "external_id,email,name,address,amount,locked_until",
      `b1,,Alice,${ALICE},1,2020-01-01`,
      `b2,,Bob,${BOB},1,next year`,
      `b3,,Carol,${CAROL},1,2027-02-30`,
      `b4,,Dave,${DAVE},1,${now - 10}`,
      `b5,,Dave,${DAVE},1,99999999999`,
      `b6,,Dave,${DAVE},1,`,
    ]);
    const refused = await world.sto(["distribute-multiple", `--csv-input=${file}`, `--address=${token}`]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/bad-locks\.csv: 5 invalid rows, nothing prepared/);
    expect(refused.stderr).toMatch(/bad-locks\.csv:2: field locked_until "2020-01-01": 2020-01-01T00:00:00Z is not in the future \(the chain's time is /);
    expect(refused.stderr).toMatch(/bad-locks\.csv:3: field locked_until "next year": is neither an ISO 8601 date .* nor unix seconds/);
    expect(refused.stderr).toMatch(/bad-locks\.csv:4: field locked_until "2027-02-30": is not a valid calendar date and time/);
    expect(refused.stderr).toMatch(/bad-locks\.csv:5: field locked_until "\d+": .* is not in the future/);
    expect(refused.stderr).toMatch(/bad-locks\.csv:6: field locked_until "99999999999": is after 2106-02-07T06:28:15Z/);
    expect(refused.stderr).not.toMatch(/bad-locks\.csv:7/);
    const single = await world.sto(["distribute-single", `--token-address=${token}`, `--to-address=${ALICE}`, "--external-id=s0", "--email=", "--name=Alice", "--amount=1", "--locked-until=yesterday"]);
    expect(single.code).not.toBe(0);
    expect(single.stderr.trim().split("\n").at(-1)).toMatch(/--locked-until "yesterday": is neither an ISO 8601 date/);
    expect(count()).toBe(before);
  });

  it("refuses a lock-up from a sender without the issuer role, before anything is written", async () => {
    await world.ok(["distribute-single", `--token-address=${token}`, `--to-address=${EVE}`, "--external-id=eve-shares", "--email=", "--name=Eve", "--amount=5"]);
    await settle();
    const before = count();
    const release = (await chainTime()) + 30 * DAY;
    const refused = await world.sto([
      "--ethereum-private-key",
      EVE_KEY,
      "distribute-single",
      `--token-address=${token}`,
      `--to-address=${BOB}`,
      "--external-id=eve-lock",
      "--email=",
      "--name=Bob",
      "--amount=1",
      `--locked-until=${release}`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n").at(-1)).toBe(
      `error: --locked-until "${new Date(release * 1000).toISOString().replace(".000Z", "Z")}": distributing with a lock-up needs ISSUER_ROLE on the token; ${EVE} does not have it; nothing prepared`,
    );
    expect(count()).toBe(before);
  });

  /**
   * Locks 100 shares for Alice (distribute-single) and 50 for Bob (the CSV column, a day longer),
   * gives Carol 20 unlocked, checks that only unlocked shares move and the cap table's locked
   * column, then travels past Alice's release and lets her pay all 120 to Carol. Returns the cap
   * table's block while Alice was locked.
   */
  const lockThenRelease = async (): Promise<number> => {
    const now = await chainTime();
    const lockedUntil = now + 30 * DAY;
    const iso = new Date(lockedUntil * 1000).toISOString().replace(".000Z", "Z");
    const single = await world.ok(["distribute-single", `--token-address=${token}`, `--to-address=${ALICE}`, "--external-id=s1", "--email=", "--name=Alice", "--amount=100", `--locked-until=${iso}`]);
    expect(single.stdout).toContain(`Distributing 100 shares to Alice, locked until ${iso}`);
    const file = writeCsv("locks.csv", [
      "external_id,email,name,address,amount,locked_until",
      `m1,,Bob,${BOB},50,${lockedUntil + DAY}`,
      `m2,,Carol,${CAROL},20,`,
    ]);
    await world.ok(["distribute-multiple", `--csv-input=${file}`, `--address=${token}`]);
    expect(lastMethods(3)).toEqual(["transferWithLockup", "transferWithLockup", "transfer"]);
    await settle();

    const asAlice = new Contract(token, abi, await world.provider.getSigner(ALICE));
    await expect(asAlice.transfer(CAROL, UNIT)).rejects.toThrow(/LockedBalance|reverted/);
    const check = JSON.parse((await world.ok(["--json", "compliance-check", `--token-address=${token}`, `--from=${ALICE}`, `--to=${CAROL}`, "--amount=1"])).stdout) as { code: number };
    expect(check.code).toBe(6);
    // Carol got hers without a lock-up: she can move it.
    const asCarol = new Contract(token, abi, await world.provider.getSigner(CAROL));
    await (await asCarol.transfer(ALICE, 5n * UNIT)).wait();
    // Alice received 5 unlocked: exactly those may leave, not one more.
    await expect(asAlice.transfer(CAROL, 6n * UNIT)).rejects.toThrow(/LockedBalance|reverted/);
    await (await asAlice.transfer(CAROL, 5n * UNIT)).wait();

    await world.ok(["token-scan", `--token-address=${token}`]);
    const locked = await capTable();
    expect(locked.compliance?.atCapTableBlock).toBe(true);
    expect(holder(locked, ALICE).compliance).toMatchObject({ locked: "100", nextReleaseAt: iso, addressFrozen: false, frozenTokens: "0" });
    expect(holder(locked, BOB).compliance?.locked).toBe("50");
    expect(holder(locked, CAROL).compliance?.locked).toBe("0");

    await world.provider.send("evm_increaseTime", [30 * DAY + 10]);
    await world.provider.send("evm_mine", []);
    expect(JSON.parse((await world.ok(["--json", "compliance-check", `--token-address=${token}`, `--from=${ALICE}`, `--to=${CAROL}`, "--amount=100"])).stdout).code).toBe(0);
    await (await asAlice.transfer(CAROL, 100n * UNIT)).wait();
    const reader = new Contract(token, abi, world.provider);
    expect([await reader.balanceOf(ALICE), await reader.balanceOf(CAROL)]).toEqual([0n, 120n * UNIT]);
    return locked.atBlock;
  };

  it("a locked holder cannot transfer before the release time and can after; distribute-single and the CSV column both lock", async () => {
    await lockThenRelease();
    // Bob's lock-up ends a day later.
    await expect(new Contract(token, abi, await world.provider.getSigner(BOB)).transfer(CAROL, UNIT)).rejects.toThrow(/LockedBalance|reverted/);
  });

  it("cap-table --compliance shows locked and frozen per holder in the table, JSON and CSV, now and at an earlier block", async () => {
    const blockBeforeFreeze = await lockThenRelease();
    await world.ok(["freeze", `--token-address=${token}`, `--holder-address=${CAROL}`, "--reason=court order"]);
    await world.ok(["freeze", `--token-address=${token}`, `--holder-address=${BOB}`, "--amount=20", "--reason=escrow"]);
    await settle();
    await world.ok(["token-scan", `--token-address=${token}`]);

    // Alice emptied her balance once released: listed with --include-empty, nothing locked.
    const now = await capTable("--include-empty");
    expect(holder(now, ALICE)).toMatchObject({ balance: "0", compliance: { locked: "0", nextReleaseAt: null } });
    expect(holder(now, BOB).compliance).toMatchObject({ locked: "50", addressFrozen: false, frozenTokens: "20" });
    expect(holder(now, CAROL).compliance).toMatchObject({ locked: "0", addressFrozen: true, frozenTokens: "0" });

    // At the earlier block: Alice still locked (at that block's time), nobody frozen yet.
    const earlier = await capTable(`--at-block=${blockBeforeFreeze}`);
    expect(earlier.compliance).toMatchObject({ block: blockBeforeFreeze, atCapTableBlock: true });
    expect(holder(earlier, ALICE).compliance?.locked).toBe("100");
    expect(holder(earlier, CAROL).compliance?.addressFrozen).toBe(false);

    const text = (await world.ok(["cap-table", `--token-address=${token}`, "--compliance"])).stdout;
    expect(text).toMatch(/Locked and frozen:\s+read from the chain at block \d+/);
    expect(text).toMatch(/Locked │\s+Frozen │/);
    expect(text).toMatch(new RegExp(`${CAROL} .* 120\\.00 │ +12\\.00 │ +0\\.00 │ address frozen │`));
    expect(text).toMatch(new RegExp(`${BOB} .* 50\\.00 \\(next release \\d{4}-\\d{2}-\\d{2}T[\\d:]+Z\\) │ +20\\.00 │`));

    const csv = (await world.ok(["cap-table", `--token-address=${token}`, "--compliance", "--format=csv"])).stdout.trim().split("\n");
    expect(csv[0]).toBe("name,address,balance,percent,last_transfer_block,last_transfer_at,last_change,verified,locked,frozen_tokens,address_frozen,next_release_at,compliance_block");
    const bob = csv.find((line) => line.includes(BOB))!.split(",");
    expect(bob.slice(8, 11)).toEqual(["50", "20", "false"]);
    expect(bob[12]).toBe(String(now.compliance?.block));

    // A node that keeps no state at the earlier block (not an archive node): the current state, said so.
    const proxy = await startRpcProxy(world.chain.url);
    const oldTag = `0x${blockBeforeFreeze.toString(16)}`;
    proxy.setResponder((request, response) => {
      const refuse = (message: string, code: number): boolean => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ jsonrpc: "2.0", id: request.id ?? null, error: { code, message } }));
        return true;
      };
      if (request.method.startsWith("batch:")) return refuse("batch requests are not supported", -32600);
      const tag = request.method === "eth_call" ? request.params[1] : request.method === "eth_getCode" ? request.params[1] : undefined;
      return tag === oldTag ? refuse(`missing trie node 0x1234 (path ) state 0x1234 is not available`, -32000) : false;
    });
    try {
      const pruned = await world.sto(["--json", "cap-table", `--token-address=${token}`, "--compliance", `--at-block=${blockBeforeFreeze}`], { globals: ["--ethereum-node-url", proxy.url] });
      expect(pruned.code, pruned.stderr).toBe(0);
      const current = JSON.parse(pruned.stdout) as CapTableJson;
      expect(current.compliance?.atCapTableBlock).toBe(false);
      expect(current.compliance?.block).toBeGreaterThan(blockBeforeFreeze);
      expect(holder(current, CAROL).compliance?.addressFrozen).toBe(true);
      expect(pruned.stderr).toContain(`the node keeps no state at block ${blockBeforeFreeze}: the locked and frozen amounts are the current ones`);
      const prunedText = await world.sto(["cap-table", `--token-address=${token}`, "--compliance", `--at-block=${blockBeforeFreeze}`], { globals: ["--ethereum-node-url", proxy.url] });
      expect(prunedText.stdout).toMatch(new RegExp(`Locked and frozen: +CURRENT state, read at block \\d+ .*not at the cap table's block ${blockBeforeFreeze}`));
    } finally {
      await proxy.close();
    }

    // Without --compliance: no node needed, no columns.
    const plain = JSON.parse((await world.ok(["--json", "cap-table", `--token-address=${token}`])).stdout) as CapTableJson;
    expect(plain.compliance).toBeNull();
    expect(plain.entries[0].compliance).toBeUndefined();
  });

  it("refuses a distribution that would give a holder more than 16 unreleased lock-ups, before anything is written; 16 go through", async () => {
    const base = (await chainTime()) + 100 * DAY;
    const lines = ["external_id,email,name,address,amount,locked_until"];
    for (let i = 0; i < 16; i++) lines.push(`d${i},,Dave,${DAVE},1,${base + i * DAY}`);
    lines.push(`d16,,Dave,${DAVE},1,${base + 15 * DAY}`); // the same release as the latest: merges
    lines.push(`d17,,Dave,${DAVE},1,${base + 20 * DAY}`); // the 17th tranche
    const before = count();
    const refused = await world.sto(["distribute-multiple", `--csv-input=${writeCsv("many.csv", lines)}`, `--address=${token}`, "--batch-size=10"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split("\n").at(-1)).toMatch(
      new RegExp(`many\\.csv:19: field locked_until ".*": rule lock-ups: this row would give ${DAVE} unreleased lock-up tranche number 17 .* at most 16 per holder \\(TooManyLockups\\); nothing prepared`),
    );
    expect(count()).toBe(before);

    // Without the last row the contract takes all 16 (and the merged one) in batchTransferWithLockup.
    await world.ok(["distribute-multiple", `--csv-input=${writeCsv("sixteen.csv", lines.slice(0, -1))}`, `--address=${token}`, "--batch-size=10"]);
    expect(lastMethods(2)).toEqual(["batchTransferWithLockup", "batchTransferWithLockup"]);
    await settle();
    const extension = new Contract(token, abi, world.provider);
    const [tranches] = (await extension.lockups(DAVE)) as [bigint, bigint];
    expect(tranches).toBe(16n);
    const one = await world.sto(["distribute-single", `--token-address=${token}`, `--to-address=${DAVE}`, "--external-id=d99", "--email=", "--name=Dave", "--amount=1", `--locked-until=${base + 40 * DAY}`]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/--locked-until ".*": rule lock-ups: .* tranche number 17/);
  });
});
