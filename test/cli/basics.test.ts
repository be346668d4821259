import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Wallet } from "ethers";
import { closedNodeUrl, runSto, tempDir } from "../helpers/cli";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("sto basics", () => {
  it("lists every command in --help", async () => {
    const result = await runSto(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["ethereum-create-account", "node", "reference", "version"]) {
      expect(result.stdout).toContain(command);
    }
  });

  it("prints the package version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
    const result = await runSto(["version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
    for (const flag of ["--version", "-V"]) {
      const option = await runSto([flag]);
      expect(option.code, option.stderr).toBe(0);
      expect(option.stdout.trim()).toBe(pkg.version);
    }
  });

  it("creates an account whose printed key derives the printed address", async () => {
    const result = await runSto(["ethereum-create-account"]);
    expect(result.code).toBe(0);
    const address = result.stdout.match(/Account address: (0x[0-9a-fA-F]{40})/)?.[1];
    const key = result.stdout.match(/Account private key: ([0-9a-f]{64})/)?.[1];
    expect(address).toBeDefined();
    expect(new Wallet(`0x${key}`).address).toBe(address);
  });

  it("writes an encrypted keystore instead of printing the key", async () => {
    const file = path.join(tmp.dir, "key.json");
    const result = await runSto(["ethereum-create-account", "--keystore", file], {
      env: { STO_KEYSTORE_PASSWORD: "correct horse battery" },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/private key/i);
    const address = result.stdout.match(/Account address: (0x[0-9a-fA-F]{40})/)?.[1];
    const wallet = await Wallet.fromEncryptedJson(fs.readFileSync(file, "utf8"), "correct horse battery");
    expect(wallet.address).toBe(address);
    const again = await runSto(["ethereum-create-account", "--keystore", file], {
      env: { STO_KEYSTORE_PASSWORD: "correct horse battery" },
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refusing to overwrite/);
  });

  it("explains retired networks and unknown commands with one line and a non-zero exit", async () => {
    // The manual's first step still works: creating an account needs no network.
    const account = await runSto(["--network=kovan", "ethereum-create-account"]);
    expect(account.code).toBe(0);
    const kovan = await runSto(["--network", "kovan", "diagnose"]);
    expect(kovan.code).toBe(1);
    expect(kovan.stderr.trim().split("\n")).toHaveLength(1);
    expect(kovan.stderr).toMatch(/Kovan .* shut down/);
    const unknown = await runSto(["no-such-command"]);
    expect(unknown.code).toBe(2);
    for (const usage of [["tx-last", "--no-such-option"], ["issue", "--symbol", "X"], ["cap-table", "--token-address", "0x1", "--order-by", "size"]]) {
      const result = await runSto(usage);
      expect(result.code, usage.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), usage.join(" ")).toHaveLength(1);
    }
  });

  it("suggests the flag meant for a misspelled or shortened one, before any missing required option", async () => {
    const misspelled = await runSto(["cap-table", "--identiy-file=x.csv", "--token-address=0x1"]);
    expect(misspelled.code).toBe(2);
    expect(misspelled.stderr).toBe("error: unknown option '--identiy-file'\n(Did you mean --identity-file?)\n");
    // --token-address is missing too, but the unknown --token is the user's actual mistake.
    const shortened = await runSto(["cap-table", "--token=0x5FbDB2315678afecb367f032d93F642f64180aa3"]);
    expect(shortened.code).toBe(2);
    expect(shortened.stderr).toBe("error: unknown option '--token'\n(Did you mean --token-address?)\n");
    const spaced = await runSto(["tx-last", "--limt", "3"]);
    expect(spaced.stderr).toBe("error: unknown option '--limt'\n(Did you mean --limit?)\n");
  });

  it("marks required options in help, and shows --url's default", async () => {
    const issue = await runSto(["issue", "--help"]);
    expect(issue.stdout).toMatch(/--symbol <symbol> +ticker symbol \[required\]/);
    expect(issue.stdout).toMatch(/--amount <shares> +number of initial shares .*\[required\]/);
    expect(issue.stdout).toMatch(/--url <url> +URL with information about the issuer \(default: none/);
    expect(issue.stdout).not.toMatch(/--transfer-restriction <mode>[^\n]*\[required\]/);
    const status = await runSto(["token-status", "--help"]);
    expect(status.stdout).toMatch(/--token-address <address> +token contract address \(also --address, the manual's spelling\)\s+\[required\]/);
  });

  it("lists the global options once, in sto --help, and each command's help points there", async () => {
    const top = await runSto(["--help"]);
    expect(top.stdout).toMatch(/--ethereum-gas-price <gwei>/);
    for (const command of ["cap-table", "node", "tx-update"]) {
      const help = await runSto([command, "--help"]);
      expect(help.stdout, command).not.toMatch(/--ethereum-gas-price/);
      expect(help.stdout.trimEnd().split("\n").at(-1)).toBe("Global options (--config, --network, --ethereum-node-url, --json, --quiet, --wide, …): sto --help");
    }
    const node = await runSto(["node", "--help"]);
    const hostname = node.stdout.slice(node.stdout.indexOf("--hostname"), node.stdout.indexOf("--accounts"));
    expect(hostname.match(/default/g)).toHaveLength(1);
    expect(hostname).toMatch(/\(default: "127\.0\.0\.1"\)/);
    expect((await runSto(["--help"])).stdout).toMatch(/kyc-manage \[options\] +Whitelist an address in the KYC smart contract\./);
  });

  it("rejects unknown INI keys and malformed private keys without echoing the key", async () => {
    const ini = path.join(tmp.dir, "bad.ini");
    fs.writeFileSync(ini, "network = local\nethereum-nodeurl = http://127.0.0.1:1\n");
    const typo = await runSto(["--config", ini, "version"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`${ini}:2: unknown key "ethereum-nodeurl"`);

    const badKey = "zz" + "ab".repeat(31);
    const result = await runSto(["--ethereum-private-key", badKey, "version"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/64 hexadecimal digits/);
    expect(result.stderr + result.stdout).not.toContain(badKey);
  });

  it("lets the command line win over the INI file", async () => {
    const ini = path.join(tmp.dir, "net.ini");
    fs.writeFileSync(ini, "network = kovan\n");
    const absent = await closedNodeUrl();
    const fromIni = await runSto(["--config-file", ini, "--ethereum-node-url", absent, "diagnose"]);
    expect(fromIni.code).toBe(1);
    expect(fromIni.stderr).toMatch(/Kovan/);
    const overridden = await runSto(["--config", ini, "--network", "local", "--ethereum-node-url", absent, "diagnose"]);
    expect(overridden.code).toBe(3);
    expect(overridden.stderr).toMatch(/cannot reach the Ethereum node/);
  });
});
