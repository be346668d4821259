import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { progressDraws, runInTerminal, terminalEnv } from "../helpers/terminal";
import { issueToken, randomAddresses } from "../distribution/helpers";

describe("terminal manners", () => {
  let world: E2eWorld;
  let args: string[];
  const baseEnv = terminalEnv;
  beforeAll(async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
    args = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "tx-last"];
  });
  afterAll(() => world.close());

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
});
