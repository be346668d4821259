import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { killAfterFile } from "../helpers/cleanup";
import { STO_BIN, runSto } from "../helpers/cli";
import { startWorld, worldFixture, type E2eWorld } from "../helpers/e2e";

/**
 * The encrypted JSON keystore, end to end: an account created with `ethereum-create-account
 * --keystore`, funded, then used with `--ethereum-keystore` (password from STO_KEYSTORE_PASSWORD,
 * or typed at a prompt) for the whole prepare → broadcast → update flow.
 */
const PASSWORD = "keystore test password 1234";

function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("error:"));
}

// Every test starts from a copy of its own of the same state: the keystore's account created and
// funded, no database yet.
describe("encrypted JSON keystore", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let keystore: string;
  let address: string;

  beforeAll(async () => {
    world = chainWorld = await startWorld();
    keystore = path.join(world.dir, "issuer.json");
    const created = await runSto(["ethereum-create-account", "--keystore", keystore], { cwd: world.dir, env: { STO_KEYSTORE_PASSWORD: PASSWORD } });
    expect(created.code, created.stderr).toBe(0);
    address = /Account address: (0x[0-9a-fA-F]{40})/.exec(created.stdout)?.[1] ?? "";
    expect(address).not.toBe("");
    await world.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]); // 100 ETH
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld?.close());

  it("signs the whole flow with the keystore and the password from the environment", async () => {
    const env = { STO_KEYSTORE_PASSWORD: PASSWORD };
    for (const args of [["kyc-deploy"], ["tx-broadcast"], ["tx-update"]]) {
      const result = await world.sto(["--ethereum-keystore", keystore, ...args], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/development account/);
    }
    expect(world.query("SELECT from_address, status FROM prepared_transactions")).toEqual([{ from_address: address, status: "success" }]);
  });

  it("reads the keystore from the INI file or STO_ETHEREUM_KEYSTORE", async () => {
    const ini = path.join(world.dir, "keystore.ini");
    fs.writeFileSync(ini, `ethereum-keystore = ${keystore}\n`);
    await world.ok(["--config", ini, "kyc-deploy"], { env: { STO_KEYSTORE_PASSWORD: PASSWORD } });
    const fromIni = await world.sto(["--config", ini, "tx-next-nonce"], { env: { STO_KEYSTORE_PASSWORD: PASSWORD } });
    expect(fromIni.code, fromIni.stderr).toBe(0);
    expect(fromIni.stdout.trim()).toBe("1");
    const fromEnv = await world.sto(["--json", "tx-next-nonce"], { env: { STO_KEYSTORE_PASSWORD: PASSWORD, STO_ETHEREUM_KEYSTORE: keystore } });
    expect((JSON.parse(fromEnv.stdout) as { address: string }).address).toBe(address);
  });

  it("asks for the password on a terminal, without echoing it", async () => {
    // `script` gives the command a pseudo-terminal; the password is typed once the prompt shows.
    const command = [process.execPath, STO_BIN, "--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "--ethereum-keystore", keystore, "tx-next-nonce"]
      .map((part) => `'${part.replace(/'/g, "'\\''")}'`)
      .join(" ");
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("STO_")));
    const child = killAfterFile(spawn("script", ["-qec", command, "/dev/null"], { cwd: world.dir, env: { ...env, NO_COLOR: "1" } }));
    let output = "";
    let typed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!typed && output.includes("Password for")) {
        typed = true;
        child.stdin.write(`${PASSWORD}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
    expect(typed, output).toBe(true);
    expect(code, output).toBe(0);
    expect(output).toMatch(/\b[01]\s*$/);
    expect(output).not.toContain(PASSWORD);
  });

  it("refuses a wrong password, a missing password without a terminal, a damaged file, and a key given twice, with one line each", async () => {
    const damaged = path.join(world.dir, "damaged.json");
    fs.writeFileSync(damaged, fs.readFileSync(keystore, "utf8").slice(0, 100));
    const cases: { args: string[]; env: Record<string, string>; message: RegExp }[] = [
      { args: ["--ethereum-keystore", keystore], env: { STO_KEYSTORE_PASSWORD: "not the password" }, message: /ethereum-keystore .*: wrong password/ },
      { args: ["--ethereum-keystore", keystore], env: {}, message: /no terminal to ask the keystore password on: set STO_KEYSTORE_PASSWORD/ },
      { args: ["--ethereum-keystore", path.join(world.dir, "missing.json")], env: { STO_KEYSTORE_PASSWORD: PASSWORD }, message: /cannot read the keystore \(no such file or directory\)/ },
      { args: ["--ethereum-keystore", damaged], env: { STO_KEYSTORE_PASSWORD: PASSWORD }, message: /not a valid encrypted JSON keystore/ },
      {
        args: ["--ethereum-keystore", keystore, "--ethereum-private-key", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"],
        env: { STO_KEYSTORE_PASSWORD: PASSWORD },
        message: /either ethereum-private-key or ethereum-keystore, not both/,
      },
    ];
    for (const entry of cases) {
      const result = await world.sto([...entry.args, "tx-next-nonce"], { env: entry.env });
      expect(result.code, result.stderr).toBe(1);
      expect(errorLines(result.stderr)).toHaveLength(1);
      expect(errorLines(result.stderr)[0]).toMatch(entry.message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    }
  });
});
