import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Wallet } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { startWorld, type E2eWorld } from "../helpers/e2e";

describe("nonces of an account that was used before sto", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
    const wallet = new Wallet(DEVELOPMENT_PRIVATE_KEY, world.provider);
    for (let index = 0; index < 3; index++) await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait();
  });
  afterAll(() => world.close());

  it("starts a fresh database at the network's nonce (auto-restart-nonce, the default)", async () => {
    const first = await world.ok(["kyc-deploy"]);
    expect(first.stdout).toMatch(/waiting +│ +3 │/);
    expect((await world.ok(["tx-next-nonce"])).stdout.trim()).toBe("4");
    const refused = await world.sto(["tx-restart-nonce"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/already holds transactions .* use a new --database-file/);
    await world.ok(["tx-broadcast"]);
    expect((await world.ok(["tx-update"])).stdout).toMatch(/success:4/);
  });

  it("starts at 0 with --auto-restart-nonce=false, and tx-broadcast then refuses the used nonce", async () => {
    const other = path.join(world.dir, "fresh.sqlite");
    const flags = ["--database-file", other, "--auto-restart-nonce", "false"];
    const prepared = await world.ok([...flags, "issue", "--symbol=N", "--name=Nonce corp", "--url=https://n.example", "--amount=1"]);
    expect(prepared.stdout).toMatch(/waiting +│ +0 │/);
    const broadcast = await world.sto([...flags, "tx-broadcast"]);
    expect(broadcast.code).toBe(4);
    expect(broadcast.stderr).toMatch(/nonce 0 of .* was used on local by a transaction this database did not prepare/);
  });

  // Mutation nonces.ts:27 (`?.` dropped): a database that has not used the account has no row for it.
  it("tx-next-nonce on a database that has not used the account gives the network's nonce", async () => {
    const unused = path.join(world.dir, "unused.sqlite");
    const result = await world.ok(["--database-file", unused, "--json", "tx-next-nonce"]);
    const networkNonce = await world.provider.getTransactionCount(await new Wallet(DEVELOPMENT_PRIVATE_KEY).getAddress(), "pending");
    expect(JSON.parse(result.stdout)).toMatchObject({ nextNonce: networkNonce, source: "network" });
    expect(networkNonce).toBeGreaterThan(0);
  });

  it("tx-restart-nonce on an empty database takes the network's nonce", async () => {
    const empty = path.join(world.dir, "empty.sqlite");
    // The network's nonce is 3 (the set-up's transfers), or 4 once the first test's deployment is mined.
    const networkNonce = await world.provider.getTransactionCount(await new Wallet(DEVELOPMENT_PRIVATE_KEY).getAddress(), "pending");
    expect(networkNonce).toBeGreaterThanOrEqual(3);
    const restarted = await world.ok(["--database-file", empty, "--auto-restart-nonce", "false", "tx-restart-nonce"]);
    expect(restarted.stdout).toMatch(new RegExp(`Next nonce of 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 on local is now ${networkNonce}$`, "m"));
  });
});

describe("--ethereum-abi-file", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  it("overrides a contract by name with a solc standard-JSON output", async () => {
    // Replace BasicKYC's bytecode with another contract's: the deployed code shows which one was used.
    const agent = new ContractArtifacts().get("UnrestrictedTransferAgent");
    const file = path.join(world.dir, "solc-output.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ contracts: { "contracts/Other.sol": { BasicKYC: { abi: agent.abi, evm: { bytecode: { object: agent.bytecode.slice(2) } } } } } }),
    );
    const deployed = await world.ok(["--ethereum-abi-file", file, "kyc-deploy"]);
    const address = /will be (0x[0-9a-fA-F]{40})/.exec(deployed.stdout)?.[1] as string;
    await world.ok(["tx-broadcast"]);
    const code = await world.provider.getCode(address);
    const expected = await world.provider.send("eth_call", [{ data: agent.bytecode }, "latest"]);
    expect(code).toBe(expected);
  });

  it("reads solc --combined-json output and rejects files that are not compiler output", async () => {
    const kyc = new ContractArtifacts().get("BasicKYC");
    const combined = path.join(world.dir, "combined.json");
    fs.writeFileSync(combined, JSON.stringify({ contracts: { "contracts/BasicKYC.sol:BasicKYC": { abi: JSON.stringify(kyc.abi), bin: kyc.bytecode.slice(2) } } }));
    const other = path.join(world.dir, "other.sqlite");
    const deployed = await world.ok(["--database-file", other, "--ethereum-abi-file", combined, "kyc-deploy"]);
    expect(deployed.stdout).toMatch(/Deploying KYC whitelist contract/);

    const bad = path.join(world.dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ hello: "world" }));
    const result = await world.sto(["--database-file", other, "--ethereum-abi-file", bad, "kyc-deploy"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}: no "contracts" object`);
  });
});
