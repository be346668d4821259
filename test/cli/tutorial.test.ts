import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Contract } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DEPLOYER, startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

const artifacts = new ContractArtifacts();
const erc20 = (world: E2eWorld, address: string) => new Contract(address, artifacts.get("SecurityToken").abi, world.provider);

interface TxRow {
  nonce: number;
  status: string;
  tx_hash: string;
  note: string;
}

describe("the manual's restricted issuance tutorial, with its own flags", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  it("deploys KYC, whitelists, issues restricted, broadcasts, updates and shows the token", async () => {
    const deployed = await world.ok(["kyc-deploy"]);
    expect(deployed.stdout).toMatch(/Deploying KYC whitelist contract/);
    expect(deployed.stderr).toMatch(/development account .* public/);

    // Prepared, not broadcast yet: "already deployed" would not be true on chain.
    const again = await world.ok(["kyc-deploy"]);
    expect(again.stdout).toMatch(/KYC contract deployment already prepared for 0x[0-9a-fA-F]{40} \(status waiting, not on chain yet\); not prepared again/);

    const whitelisted = await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER}`]);
    expect(whitelisted.stdout).toMatch(/broadcasted/);

    const issued = await world.ok([
      "issue",
      "--symbol=STO",
      "--name=Mikko's magic corp",
      "--url=https://tokenmarket.net",
      "--amount=10000",
      "--transfer-restriction=restricted",
    ]);
    const token = tokenAddressFrom(issued);
    expect(issued.stdout).toContain("Creating 10000 initial shares for Mikko's magic corp");
    expect(issued.stderr).not.toMatch(/not whitelisted/);

    const broadcast = await world.ok(["tx-broadcast"]);
    expect(broadcast.stdout).toMatch(/Pending 4 transactions for broadcasting in network local/);
    await world.ok(["tx-update"]);
    // Mined, with its code on chain: now it is deployed.
    expect((await world.ok(["kyc-deploy"])).stdout).toMatch(/KYC contract already deployed at 0x[0-9a-fA-F]{40} \(status success\); not redeployed/);

    const rows = world.query<TxRow>("SELECT nonce, status, tx_hash, note FROM prepared_transactions ORDER BY nonce");
    expect(rows.map((row) => row.status)).toEqual(Array(6).fill("success"));
    expect(rows.map((row) => row.nonce)).toEqual([0, 1, 2, 3, 4, 5]);

    const status = await world.ok(["token-status", `--address=${token}`]);
    expect(status.stdout).toContain("Name: Mikko's magic corp");
    expect(status.stdout).toContain("Symbol: STO");
    expect(status.stdout).toContain("Total supply: 10000");
    expect(status.stdout).toContain(`Owner: ${DEPLOYER}`);
    const verifier = /Transfer verifier: (0x[0-9a-fA-F]{40})/.exec(status.stdout)?.[1] as string;
    expect(await world.provider.getCode(verifier)).not.toBe("0x");
    const agent = new Contract(verifier, artifacts.get("RestrictedTransferAgent").abi, world.provider);
    expect(await agent.getFunction("kyc")()).toBe(rows.length ? world.query<{ contract_address: string }>("SELECT contract_address FROM prepared_transactions WHERE nonce = 0")[0].contract_address : "");
    expect(await erc20(world, token).getFunction("balanceOf")(DEPLOYER)).toBe(10000n * 10n ** 18n);

    const logs = await world.ok(["issue-logs"]);
    expect(logs.stdout).toContain("Token contract for Mikko's magic corp");
    const last = await world.ok(["tx-last", "--limit", "2"]);
    expect(last.stdout.match(/success:/g)).toHaveLength(2);
    const json = JSON.parse((await world.ok(["--json", "tx-last", "--limit", "3"])).stdout) as { transactions: { nonce: number }[] };
    expect(json.transactions.map((tx) => tx.nonce)).toEqual([5, 4, 3]);
  });

  it("issues unrestricted without any KYC contract", async () => {
    const unrestricted = await startWorld();
    try {
      const issued = await unrestricted.ok(["issue", "--symbol=FREE", "--name=Free corp", "--url=https://example.com", "--amount=12.5"]);
      const token = tokenAddressFrom(issued);
      expect(issued.stdout).toContain("Unrestricted transfer agent for Free corp");
      await unrestricted.ok(["tx-broadcast"]);
      const update = await unrestricted.ok(["tx-update"]);
      expect(update.stdout.match(/success:/g)).toHaveLength(4);
      expect(await erc20(unrestricted, token).getFunction("totalSupply")()).toBe(125n * 10n ** 17n);
      const status = await unrestricted.ok(["--json", "token-status", "--address", token]);
      const parsed = JSON.parse(status.stdout) as { totalSupply: string; totalSupplyUnits: string; symbol: string; isSecurityToken: boolean };
      expect(parsed).toMatchObject({ totalSupply: "12.5", totalSupplyUnits: "12500000000000000000", symbol: "FREE", isSecurityToken: true });
      const nonce = await unrestricted.ok(["tx-next-nonce"]);
      expect(nonce.stdout.trim()).toBe("4");
      const diagnose = await unrestricted.ok(["diagnose"]);
      expect(diagnose.stdout).toMatch(/chain id 31337/);
      expect(diagnose.stdout).toMatch(/Database next nonce\s*│\s*4/);
    } finally {
      await unrestricted.close();
    }
  });

  it("takes --token-address on every command, the manual's --address too; issue's --url may be left out", async () => {
    const world2 = await startWorld();
    try {
      // The manual's restricted-mode paragraph issues without --url.
      const issued = await world2.ok(["issue", "--symbol=NOURL", "--name=No URL corp", "--amount=100"]);
      const token = tokenAddressFrom(issued);
      await world2.ok(["tx-broadcast"]);
      await world2.ok(["tx-update"]);
      const byTokenAddress = await world2.ok(["token-status", `--token-address=${token}`]);
      expect(byTokenAddress.stdout).toContain("Name: No URL corp");
      expect(byTokenAddress.stdout).toMatch(/^URL: $/m);
      expect((await world2.ok(["token-status", `--address=${token}`])).stdout).toBe(byTokenAddress.stdout);

      const csv = path.join(world2.dir, "one.csv");
      fs.writeFileSync(csv, "external_id,email,name,address,amount\nx1,,,0x70997970C51812dc3A010C7d01b50e0d17dc79C8,1\n");
      const distributed = await world2.ok(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
      expect(distributed.stdout).toMatch(/created 1 new transaction for 1 row/);
      const again = await world2.ok(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
      expect(again.stdout).toMatch(/created 0 new transactions/);

      // Errors name the flag that was typed.
      for (const flag of ["--address", "--token-address"]) {
        const bad = await world2.sto(["distribute-multiple", `--csv-input=${csv}`, `${flag}=0x1234`]);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain(`\nerror: ${flag}: "0x1234" is not an Ethereum address\n`);
      }
      const missing = await world2.sto(["token-status"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim()).toBe("error: required option '--token-address <address>' not specified");
      const both = await world2.sto(["token-status", `--token-address=${token}`, "--address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/^error: give the token once: --token-address 0x\w+ and --address 0x\w+ differ$/m);
    } finally {
      await world2.close();
    }
  }, 300_000);
});
