import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { errorLines, issueToken, transactionCount } from "./helpers";

// Issue 15 item 9: a receiver with code is accepted with a warning; the token itself is refused.
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

/** The warnings about receivers (the local chain's development key has its own). */
const warningLines = (stderr: string): string[] => stderr.split("\n").filter((line) => line.startsWith("warning: ") && line.includes("contract"));

describe("contract receivers", () => {
  let world: E2eWorld;
  let tokenAddress: string;
  /** Another token: an address with code that is not the distributed token. */
  let otherContract: string;
  beforeAll(async () => {
    world = await startWorld();
    tokenAddress = await issueToken(world, { amount: "10000" });
    otherContract = await issueToken(world, { amount: "1" });
  });
  afterAll(() => world.close());

  const single = (externalId: string, to: string): string[] => [
    "distribute-single",
    `--token-address=${tokenAddress}`,
    `--to-address=${to}`,
    `--external-id=${externalId}`,
    "--email=",
    "--name=Receiver",
    "--amount=1",
  ];

  it("distribute-single refuses the token itself and warns about another contract", async () => {
    const before = transactionCount(world);
    const itself = await world.sto(single("c1", tokenAddress));
    expect(itself.code).toBe(1);
    expect(errorLines(itself.stderr)).toEqual([
      `error: --to-address "${tokenAddress}": is the token contract itself: shares sent there stay locked in it (only a forced transfer could move them back); nothing prepared`,
    ]);
    expect(transactionCount(world)).toBe(before);

    const account = await world.ok(single("c2", ALICE));
    expect(warningLines(account.stderr)).toEqual([]);
    const contract = await world.ok(single("c3", otherContract));
    expect(warningLines(contract.stderr)).toEqual([
      `warning: --to-address "${otherContract}": is a contract, not an account with a key: it may not be able to move the shares (make sure it can call the token's transfer)`,
    ]);
    expect(contract.stdout).toContain("Distribution created 1 new transaction for 1 row");
    expect(transactionCount(world)).toBe(before + 2);
  });

  it("distribute-multiple names the file, row and field of the token itself, and warns once per contract receiver", async () => {
    const csv = path.join(world.dir, "receivers.csv");
    const write = (rows: string[]) => fs.writeFileSync(csv, ["external_id,email,name,address,amount", ...rows].join("\n"));
    write([`m2,,Bob,${BOB},1`, `m3,,Token,${tokenAddress},1`, `m4,,Other,${otherContract},1`]);
    const before = transactionCount(world);
    for (const batch of [[], ["--batch-size=10"]]) {
      const refused = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`, ...batch]);
      expect(refused.code).toBe(1);
      expect(errorLines(refused.stderr)).toEqual([
        `error: ${csv}:3: field address "${tokenAddress}": is the token contract itself: shares sent there stay locked in it (only a forced transfer could move them back); nothing prepared`,
      ]);
    }
    expect(transactionCount(world)).toBe(before);

    write([`m2,,Bob,${BOB},1`, `m4,,Other,${otherContract},1`, `m5,,Other again,${otherContract},2`]);
    const accepted = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${tokenAddress}`]);
    expect(warningLines(accepted.stderr)).toEqual([
      `warning: ${csv}:3: field address "${otherContract}": is a contract, not an account with a key: it may not be able to move the shares (make sure it can call the token's transfer) (also row 4)`,
    ]);
    expect(transactionCount(world)).toBe(before + 3);
  });
});
