import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program";
import { runSto, type StoResult } from "../helpers/cli";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { addressAfter } from "../helpers/corp";
import { freshPostgresDatabase } from "../helpers/postgres";

/**
 * Every command of the program, run with a known private key and etherscan key given every way
 * they can be given (flag, environment, INI file) and at --log-level debug: neither key may appear
 * in stdout, stderr, the database file (with its WAL and shared-memory files) or any file written.
 * Each command runs in a flow where it does its real work (and so loads the key, signs, or talks
 * to the verification API) and must exit as expected; a command added to the program fails this
 * test until it is added to the flow.
 */

// Development account #2: funded on the local chain, not the default account.
const PRIVATE_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const ETHERSCAN_KEY = "STOTESTETHERSCANKEY9Q8W7E6R5T4Y3U2I1";
const KEYSTORE_PASSWORD = "correct horse battery staple 4711";
const ADDRESS = new Wallet(PRIVATE_KEY).address;
const HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** Forms a key could leak in: hex with and without 0x, either case, and the 32 raw bytes. */
const KEY_HEX = PRIVATE_KEY.slice(2);
const NEEDLES: { label: string; bytes: Buffer }[] = [
  { label: "private key (hex)", bytes: Buffer.from(KEY_HEX) },
  { label: "private key (HEX)", bytes: Buffer.from(KEY_HEX.toUpperCase()) },
  { label: "private key (raw bytes)", bytes: Buffer.from(KEY_HEX, "hex") },
  // A long fragment catches a key split or re-encoded around the edges.
  { label: "private key (fragment)", bytes: Buffer.from(KEY_HEX.slice(8, 40)) },
  { label: "etherscan key", bytes: Buffer.from(ETHERSCAN_KEY) },
  { label: "keystore password", bytes: Buffer.from(KEYSTORE_PASSWORD) },
];

function leaksIn(bytes: Buffer): string[] {
  return NEEDLES.filter((needle) => bytes.includes(needle.bytes)).map((needle) => needle.label);
}

type KeySource = "flag" | "env" | "ini";

/** An Etherscan-compatible API that answers every submission "already verified", keeping what it was sent. */
function startVerificationApi(): Promise<{ url: string; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const server = http.createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    request.on("end", () => {
      received.push(`${request.url ?? ""} ${raw}`);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ status: "0", message: "NOTOK", result: "Contract source code already verified" }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/v2/api`, received, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

describe("secrets never leave the process", () => {
  let world: E2eWorld;
  let api: Awaited<ReturnType<typeof startVerificationApi>>;
  let ini: string;
  const outputs: { command: string; source: KeySource; result: StoResult }[] = [];
  const exercised = new Set<string>();
  const sources: KeySource[] = ["flag", "env", "ini"];
  let turn = 0;

  /**
   * Runs a command with the keys from the next source, at debug level, keeps what it printed, and
   * fails unless it exits with `code` (and, for a refusal, prints `error`).
   */
  const run = async (args: string[], expected: { code: number; error?: string } = { code: 0 }): Promise<StoResult> => {
    const source = sources[turn++ % sources.length];
    const globals = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "--etherscan-api-url", api.url, "--log-level", "debug"];
    // The keystore password is in every environment: no command may print it either.
    const env: Record<string, string> = { STO_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD };
    if (source === "flag") globals.push("--ethereum-private-key", PRIVATE_KEY, "--etherscan-api-key", ETHERSCAN_KEY);
    if (source === "env") Object.assign(env, { STO_ETHEREUM_PRIVATE_KEY: PRIVATE_KEY, STO_ETHERSCAN_API_KEY: ETHERSCAN_KEY });
    if (source === "ini") globals.push("--config", ini);
    const result = await runSto([...globals, ...args], { cwd: world.dir, env });
    outputs.push({ command: args.join(" "), source, result });
    if (result.code !== expected.code) throw new Error(`sto ${args.join(" ")} (${source}) exited ${result.code}, not ${expected.code}: ${result.stderr}`);
    if (expected.error !== undefined) {
      expect(result.stderr.split("\n").filter((line) => line.startsWith("error: ")), `sto ${args.join(" ")}`).toEqual([`error: ${expected.error}`]);
    }
    exercised.add(args.find((arg) => !arg.startsWith("-")) ?? "(none)");
    return result;
  };
  const settle = async () => {
    await run(["tx-broadcast"]);
    await run(["tx-update"]);
  };

  beforeAll(async () => {
    [world, api] = await Promise.all([startWorld(), startVerificationApi()]);
    ini = path.join(world.dir, "secrets.ini");
    fs.writeFileSync(ini, `ethereum-private-key = ${PRIVATE_KEY}\netherscan-api-key = ${ETHERSCAN_KEY}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await world?.close();
    await api?.close();
  });

  it("runs every command with the keys and finds them nowhere", async () => {
    // The flow of the manual, each step with the keys from another source.
    await run(["version"]);
    await run(["tx-restart-nonce"]);
    await run(["diagnose"]);
    await run(["tx-next-nonce"]);
    await run(["kyc-deploy"]);
    const token = tokenAddressFrom(await run(["issue", "--symbol=SEC", "--name=Secret corp", "--url=https://secret.example", "--amount=100", "--transfer-restriction=restricted"]));
    await settle();
    await run(["kyc-manage", `--whitelist-address=${HOLDER},${ADDRESS}`]);
    await run(["tx-update"]);
    await run(["tx-last", "--limit=20"]);
    await run(["--json", "tx-last", "--limit=20"]);
    await run(["issue-logs"]);
    await run(["token-status", `--address=${token}`]);
    await run(["tx-bump"]);
    await run(["tx-cancel", "--nonce=999"], { code: 1, error: `no transaction with nonce 999 of ${ADDRESS} on local in database ${world.databaseFile}` });

    // Shares to a holder, the token's controls, recovery.
    await run(["distribute-single", `--token-address=${token}`, `--to-address=${HOLDER}`, "--external-id=s1", "--email=h@example.com", "--name=Holder", "--amount=10"]);
    const csv = path.join(world.dir, "distribution.csv");
    fs.writeFileSync(csv, `external_id,email,name,address,amount\nm1,h@example.com,Holder,${HOLDER},5\n`);
    await run(["distribute-multiple", `--csv-input=${csv}`, `--address=${token}`]);
    await settle();
    await run(["token-scan", `--token-address=${token}`]);
    await run(["cap-table", `--token-address=${token}`]);
    await run(["compliance-set", `--token-address=${token}`, "--max-balance=1000"]);
    await run(["freeze", `--token-address=${token}`, `--holder-address=${HOLDER}`, "--amount=1", "--reason=Dispute 7"]);
    await run(["pause", `--token-address=${token}`]);
    await settle();
    await run(["unfreeze", `--token-address=${token}`, `--holder-address=${HOLDER}`, "--amount=1", "--reason=Dispute 7 settled"]);
    await run(["unpause", `--token-address=${token}`]);
    await settle();
    await run(["compliance-check", `--token-address=${token}`, `--from=${ADDRESS}`, `--to=${HOLDER}`, "--amount=1"]);
    await run(["force-transfer", `--token-address=${token}`, `--from=${HOLDER}`, `--to=${ADDRESS}`, "--amount=1", "--reason=Court order 9"]);
    await run(["burn", `--token-address=${token}`, "--amount=1"]);
    await run(["checkpoint", `--token-address=${token}`]);
    await settle();

    // A payout: the issuing account included, so that it can claim its own part.
    const currency = addressAfter("CrowdsaleToken address will be", (await run(["deploy-crowdsale-token"])).stdout);
    await settle();
    await run(["payout-deploy", `--token-address=${token}`, `--payout-token-address=${currency}`, "--payout-name=Secret dividend", "--uri=https://secret.example/d", "--type=0", "--include-issuer", "--expiry=1h"]);
    await settle();
    await run(["payout-approve", "--payout-token-name=CrowdsaleToken"]);
    await run(["payout-deposit"]);
    await settle();
    await run(["payout-claim"]);
    await run(["tx-update"]);
    await run(["payout-dividends"]);
    await settle();
    await run(["payout-status"]);
    await world.provider.send("evm_increaseTime", [7200]);
    await world.provider.send("evm_mine", []);
    await run(["payout-reclaim"]);
    await run(["tx-update"]);

    // A vote.
    const voting = addressAfter("Voting address will be", (await run(["voting-deploy", `--token-address=${token}`, "--voting-name=Secret vote", "--option=For", "--option=Against", "--uri=https://secret.example/v", "--type=0", "--include-issuer"])).stdout);
    await settle();
    await run(["vote", `--voting-address=${voting}`, "--option=For"]);
    await settle();
    await run(["voting-results", `--voting-address=${voting}`, "--voters"]);

    // Verification: the etherscan key is sent to the API, and only there.
    await run(["tx-verify", "--poll-interval=0.05"]);
    expect(api.received.some((request) => request.includes(ETHERSCAN_KEY))).toBe(true);

    // Offline signing: the key signs a file; neither the file nor the database keeps it.
    await run(["issue", "--symbol=OFF", "--name=Offline corp", "--url=https://offline.example", "--amount=1"]);
    const unsigned = path.join(world.dir, "unsigned.json");
    const signed = path.join(world.dir, "signed.json");
    await run(["tx-export", `--output=${unsigned}`]);
    await run(["tx-sign", "--yes", `--input=${unsigned}`, `--output=${signed}`]);
    await run(["tx-import", `--input=${signed}`]);
    await settle();
    await run(["ethereum-create-account"]);
    await run(["ethereum-create-account", `--keystore=${path.join(world.dir, "new-keystore.json")}`]);
    await run(["reference"]);
    await run(["help"]);

    // The account used is the key's, so the key was really used.
    expect(world.query<{ from_address: string }>("SELECT DISTINCT from_address FROM prepared_transactions")).toEqual([{ from_address: ADDRESS }]);
    expect(world.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions")).toEqual([{ status: "success" }]);
    // The team database: the copy needs no key, and the PostgreSQL URL's password is a secret too.
    const target = await freshPostgresDatabase();
    const password = decodeURIComponent(new URL(target).password);
    expect(password.length).toBeGreaterThan(0);
    NEEDLES.push({ label: "database password", bytes: Buffer.from(password) });
    await run(["db-copy", `--from=${world.databaseFile}`, `--to=${target}`]);
    await run(["db-forget-network"]);

    // `sto node` serves the development chain, whose well-known accounts and keys it prints (the key
    // of this test is one of them); it reads no configured secret. test/cli/node.test.ts covers it.
    const program = await buildProgram();
    const untested = program.commands.map((entry) => entry.name()).filter((command) => command !== "node" && !exercised.has(command));
    expect(untested, "commands missing from the flow above").toEqual([]);

    for (const { command, source, result } of outputs) {
      expect(leaksIn(Buffer.from(result.stdout)), `stdout of "${command}" (${source})`).toEqual([]);
      expect(leaksIn(Buffer.from(result.stderr)), `stderr of "${command}" (${source})`).toEqual([]);
    }
    // The database and every file the commands wrote, except the INI file that holds the keys.
    const files = fs.readdirSync(world.dir).map((name) => path.join(world.dir, name)).filter((file) => file !== ini && fs.statSync(file).isFile());
    expect(files).toContain(world.databaseFile);
    for (const file of files) expect(leaksIn(fs.readFileSync(file)), file).toEqual([]);
  }, 1_200_000);
});
