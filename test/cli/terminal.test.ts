import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWorld, worldFixture, type E2eWorld } from "../helpers/e2e";
import { progressDraws, runInTerminal, terminalEnv } from "../helpers/terminal";
import { issueToken, randomAddresses } from "../distribution/helpers";

// Every test starts from a copy of its own of the same state: a KYC deployment prepared, not sent.
describe("terminal manners", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let args: string[];
  const baseEnv = terminalEnv;
  beforeAll(async () => {
    chainWorld = await startWorld();
    await chainWorld.ok(["kyc-deploy"]);
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    world = await fixture.fresh();
    args = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "tx-last"];
  });
  afterAll(() => chainWorld.close());

  it("colours statuses on a terminal", async () => {
    const output = await runInTerminal(args, baseEnv());
    expect(output).toContain("\u001b[33mwaiting\u001b[39m");
  });

  it("never colours with NO_COLOR, in a pipe, or with --json", async () => {
    expect(await runInTerminal(args, { ...baseEnv(), NO_COLOR: "1" })).not.toContain("\u001b[");
    const piped = await world.ok(["tx-last"], { env: { NO_COLOR: "" } });
    expect(piped.stdout).toContain("waiting");
    expect(piped.stdout).not.toContain("\u001b[");
    const json = await runInTerminal(["--json", ...args], baseEnv());
    expect(json).not.toContain("\u001b[");
    expect((JSON.parse(json.replace(/\r/g, "")) as { transactions: { status: string }[] }).transactions[0].status).toBe("waiting");
  });

  it("keeps --quiet to the essential result", async () => {
    const quiet = await world.ok(["--quiet", "kyc-deploy"]);
    expect(quiet.stdout.trim().split("\n")).toHaveLength(1);
    expect(quiet.stdout).toMatch(/already prepared .*status waiting, not on chain yet/);
  });

  it("draws progress bars for distribution and broadcast on a terminal only", async () => {
    const tokenAddress = await issueToken(world);
    const receivers = randomAddresses(30);
    const csv = path.join(world.dir, "progress.csv");
    fs.writeFileSync(csv, ["external_id,email,name,address,amount", ...receivers.map((address, index) => `p-${index},,,${address},1`)].join("\n"));
    const globals = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url];

    const distributed = await runInTerminal([...globals, "distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`]);
    const preparing = progressDraws(distributed);
    expect(preparing.at(-1)).toMatch(/ 100% Preparing 30\/30 transactions · [\d,]+ transactions\/s/);
    expect(distributed).toContain("Distribution created 30 new transactions");

    const broadcast = await runInTerminal([...globals, "tx-broadcast"]);
    const draws = progressDraws(broadcast);
    expect(draws.at(-1)).toMatch(/ 100% Broadcasting 30\/30 transactions · [\d,]+ transactions\/s/);
    // The bar is cleared before the result is printed: the table starts on a clean line.
    expect(broadcast).toMatch(new RegExp(`\r${"\u001b"}\\[K(\r?\n)*Our address`));

    // Not with --quiet on a terminal, and not on a pipe (the CLI's stderr here).
    const writeCsv = (name: string, prefix: string) => {
      const file = path.join(world.dir, name);
      fs.writeFileSync(file, ["external_id,email,name,address,amount", ...receivers.map((address, index) => `${prefix}-${index},,,${address},1`)].join("\n"));
      return file;
    };
    await world.ok(["distribute-multiple", `--csv-input=${writeCsv("quiet.csv", "q")}`, `--address=${tokenAddress}`]);
    const quiet = await runInTerminal(["--quiet", ...globals, "tx-broadcast"]);
    expect(progressDraws(quiet)).toEqual([]);
    expect(quiet).not.toContain("█");
    const piped = await world.ok(["distribute-multiple", `--csv-input=${writeCsv("piped.csv", "r")}`, `--address=${tokenAddress}`]);
    expect(piped.stdout).toContain("Distribution created 30 new transactions");
    const pipedBroadcast = await world.ok(["tx-broadcast"]);
    expect(pipedBroadcast.stdout).toContain("Pending 30 transactions");
    for (const text of [piped.stderr, piped.stdout, pipedBroadcast.stderr, pipedBroadcast.stdout]) expect(text).not.toMatch(/[\r█]/);
  });

  it("fits transaction tables to the terminal's width; --wide, a pipe and --json show everything", async () => {
    // The last transaction's note names an address, which a narrow table shortens.
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    await world.ok(["kyc-manage", `--whitelist-address=${randomAddresses(1)[0]}`]);
    await world.ok(["tx-broadcast"]);
    const [row] = world.query<{ tx_hash: string; from_address: string; note: string }>("SELECT tx_hash, from_address, note FROM prepared_transactions ORDER BY nonce DESC LIMIT 1");
    const shortHash = `${row.tx_hash.slice(0, 6)}…${row.tx_hash.slice(-4)}`;
    // eslint-disable-next-line no-control-regex -- the colour sequences of a terminal
    const visible = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\r/g, "").split("\n").filter((line) => line.length > 0);
    const widest = (text: string) => Math.max(...visible(text).map((line) => [...line].length));

    const at100 = await runInTerminal(args, baseEnv(), { columns: 100 });
    expect(widest(at100)).toBeLessThanOrEqual(100);
    expect(at100).toContain(shortHash);
    expect(at100).not.toContain(row.tx_hash);
    expect(at100).toContain(`${row.from_address.slice(0, 6)}…${row.from_address.slice(-4)}`);
    const firstNote = (text: string) => {
      const lines = visible(text).slice(2);
      const cells = lines.map((line) => line.split("│").map((cell) => cell.trim()));
      const end = cells.findIndex((cell, index) => index > 0 && cell[1] !== "");
      return cells.slice(0, end < 0 ? undefined : end).map((cell) => cell.at(-2) ?? "").filter(Boolean).join(" ");
    };
    const shortNote = row.note.replace(/0x[0-9a-fA-F]{40}/g, (address) => `${address.slice(0, 6)}…${address.slice(-4)}`);
    expect(shortNote).toMatch(/^Whitelisting 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} in KYC contract$/);
    expect(firstNote(at100)).toBe(shortNote);

    // Narrower: the sender's column goes first, then the note wraps at word boundaries.
    const at80 = await runInTerminal(args, baseEnv(), { columns: 80 });
    expect(widest(at80)).toBeLessThanOrEqual(80);
    expect(at80).not.toMatch(/│ From /);
    expect(at80).toMatch(/│ To /);
    expect(firstNote(at80)).toBe(shortNote);
    const at60 = await runInTerminal(args, baseEnv(), { columns: 60 });
    expect(widest(at60)).toBeLessThanOrEqual(60);
    expect(at60).not.toMatch(/│ (From|To) /);
    expect(at60).toContain(shortHash);
    expect(firstNote(at60)).toBe(shortNote);
    expect(visible(at60).length).toBeGreaterThan(visible(at80).length);

    const wide = await runInTerminal(["--wide", ...args], baseEnv(), { columns: 60 });
    expect(wide).toContain(row.tx_hash);
    expect(wide).toMatch(/│ From /);
    expect(widest(wide)).toBeGreaterThan(200);
    const piped = await world.ok(["tx-last"]);
    expect(piped.stdout).toContain(row.tx_hash);
    expect(piped.stdout).toContain(row.from_address);
    const json = await runInTerminal(["--json", ...args], baseEnv(), { columns: 60 });
    expect((JSON.parse(json.replace(/\r/g, "")) as { transactions: { txHash: string }[] }).transactions[0].txHash).toBe(row.tx_hash);
  });
});
