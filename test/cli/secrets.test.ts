import fs from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program";
import { runSto, type StoResult } from "../helpers/cli";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

/**
 * Every command of the program, run with a known private key and etherscan key given every way
 * they can be given (flag, environment, INI file) and at --log-level debug: neither key may appear
 * in stdout, stderr, the database file (with its WAL and shared-memory files) or any file written.
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

describe("secrets never leave the process", () => {
  let world: E2eWorld;
  let ini: string;
  let token = "";
  const outputs: { command: string; source: KeySource; result: StoResult }[] = [];
  const exercised = new Set<string>();

  /** Runs a command with the keys from `source`, at debug level, and keeps what it printed. */
  const run = async (args: string[], source: KeySource, expectOk = true): Promise<StoResult> => {
    const globals = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "--log-level", "debug"];
    // The keystore password is in every environment: no command may print it either.
    const env: Record<string, string> = { STO_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD };
    if (source === "flag") globals.push("--ethereum-private-key", PRIVATE_KEY, "--etherscan-api-key", ETHERSCAN_KEY);
    if (source === "env") Object.assign(env, { STO_ETHEREUM_PRIVATE_KEY: PRIVATE_KEY, STO_ETHERSCAN_API_KEY: ETHERSCAN_KEY });
    if (source === "ini") globals.push("--config", ini);
    const result = await runSto([...globals, ...args], { cwd: world.dir, env });
    const command = args.find((arg) => !arg.startsWith("-")) ?? "(none)";
    exercised.add(command);
    outputs.push({ command: args.join(" "), source, result });
    if (expectOk && result.code !== 0) throw new Error(`sto ${args.join(" ")} (${source}) exited ${result.code}: ${result.stderr}`);
    return result;
  };

  beforeAll(async () => {
    world = await startWorld();
    ini = path.join(world.dir, "secrets.ini");
    fs.writeFileSync(ini, `ethereum-private-key = ${PRIVATE_KEY}\netherscan-api-key = ${ETHERSCAN_KEY}\n`, { mode: 0o600 });
  });
  afterAll(() => world?.close());

  it("runs every command with the keys and finds them nowhere", async () => {
    const sources: KeySource[] = ["flag", "env", "ini"];
    let turn = 0;
    const next = (): KeySource => sources[turn++ % sources.length];

    // The flow of the manual, each step with the keys from another source.
    await run(["version"], next());
    await run(["tx-restart-nonce"], next());
    await run(["diagnose"], next());
    await run(["tx-next-nonce"], next());
    await run(["kyc-deploy"], next());
    token = tokenAddressFrom(await run(["issue", "--symbol=SEC", "--name=Secret corp", "--url=https://secret.example", "--amount=100", "--transfer-restriction=restricted"], next()));
    await run(["tx-broadcast"], next());
    await run(["tx-update"], next());
    await run(["kyc-manage", `--whitelist-address=${HOLDER}`], next());
    await run(["tx-update"], next());
    await run(["tx-last", "--limit=20"], next());
    await run(["--json", "tx-last", "--limit=20"], next());
    await run(["issue-logs"], next());
    await run(["token-status", `--address=${token}`], next());
    await run(["token-scan", `--token-address=${token}`], next());
    await run(["cap-table", `--token-address=${token}`], next());
    await run(["tx-bump"], next());
    await run(["tx-cancel", "--nonce=999"], next(), false);
    // Offline signing: the key signs a file; neither the file nor the database keeps it.
    await run(["issue", "--symbol=OFF", "--name=Offline corp", "--url=https://offline.example", "--amount=1"], next());
    const unsigned = path.join(world.dir, "unsigned.json");
    const signed = path.join(world.dir, "signed.json");
    await run(["tx-export", `--output=${unsigned}`], next());
    await run(["tx-sign", "--yes", `--input=${unsigned}`, `--output=${signed}`], next());
    await run(["tx-import", `--input=${signed}`], next());
    await run(["tx-broadcast"], next());
    await run(["tx-update"], next());
    await run(["ethereum-create-account"], next());
    await run(["ethereum-create-account", `--keystore=${path.join(world.dir, "new-keystore.json")}`], next());
    await run(["reference"], next());

    // Every other command of the program (those added later included): its help, and a run with
    // no options, which fails on a missing option or does what it does without any.
    const program = await buildProgram();
    for (const command of program.commands.map((entry) => entry.name())) {
      if (exercised.has(command)) continue;
      await run([command, "--help"], next());
      if (command === "node") continue; // serves a chain until stopped
      await run([command], next(), false);
    }
    for (const command of program.commands.map((entry) => entry.name())) expect(exercised, `command ${command} exercised`).toContain(command);

    // The account used is the key's, so the key was really used.
    expect(world.query<{ from_address: string }>("SELECT DISTINCT from_address FROM prepared_transactions")).toEqual([{ from_address: ADDRESS }]);

    for (const { command, source, result } of outputs) {
      expect(leaksIn(Buffer.from(result.stdout)), `stdout of "${command}" (${source})`).toEqual([]);
      expect(leaksIn(Buffer.from(result.stderr)), `stderr of "${command}" (${source})`).toEqual([]);
    }
    // The database and every file the commands wrote, except the INI file that holds the keys.
    const files = fs.readdirSync(world.dir).map((name) => path.join(world.dir, name)).filter((file) => file !== ini && fs.statSync(file).isFile());
    expect(files).toContain(world.databaseFile);
    for (const file of files) expect(leaksIn(fs.readFileSync(file)), file).toEqual([]);
  }, 600_000);
});
