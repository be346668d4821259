import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Contract } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSto, type StoResult } from "../helpers/cli";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

/**
 * Hostile input: bad INI files and flags — wrong types, huge values, unicode, injection-looking
 * text, terminal escape sequences. Each gets one clear error line (no stack trace, no exit 70) or
 * is accepted safely: stored and printed as data, never interpreted, the database never half-written.
 */

const ESC = "\u001b";
/** Raw control characters a terminal would act on (newline and tab are ordinary). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const INJECTION = "'; DROP TABLE prepared_transactions; --";
const ESCAPES = `${ESC}[31mRED${ESC}[0m${ESC}]0;pwned${ESC}\\${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\`;
const BIDI = "Invoice \u202egnp.exe\u202c";

interface Case {
  name: string;
  args: string[];
  /** INI file contents (written to a file and passed with --config). */
  ini?: string | Buffer;
  /** Without the test world's --ethereum-node-url and --database-file, so the INI file's count. */
  bare?: boolean;
  /** Exit code and message of the one error line; omitted: the command must succeed. */
  error?: { code: number; message: RegExp };
}

let world: E2eWorld;
const countRows = (): number => world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n;

function expectIntactDatabase(): void {
  const db = new Database(world.databaseFile, { readonly: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    // The injection-looking text was data: the table is still there.
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'prepared_transactions'").get()).toBeDefined();
  } finally {
    db.close();
  }
}

function expectCleanOutput(result: StoResult): void {
  expect(result.stderr, "no stack trace").not.toMatch(/\n\s+at /);
  expect(result.code, "no internal error").not.toBe(70);
  expect(RAW_CONTROL.test(result.stdout), `raw control characters on stdout: ${JSON.stringify(result.stdout.slice(0, 300))}`).toBe(false);
  expect(RAW_CONTROL.test(result.stderr), `raw control characters on stderr: ${JSON.stringify(result.stderr.slice(0, 300))}`).toBe(false);
}

async function runCase(entry: Case): Promise<StoResult> {
  const args = [...entry.args];
  if (entry.ini !== undefined) {
    const file = path.join(world.dir, "hostile.ini");
    fs.writeFileSync(file, entry.ini);
    args.unshift("--config", file);
  }
  const before = countRows();
  const result = entry.bare ? await runSto(args, { cwd: world.dir }) : await world.sto(args);
  expectCleanOutput(result);
  if (entry.error) {
    expect(result.code, `${entry.name}: ${result.stderr}`).toBe(entry.error.code);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors, `${entry.name}: ${result.stderr}`).toHaveLength(1);
    expect(errors[0]).toMatch(entry.error.message);
    expect(countRows(), `${entry.name} wrote nothing`).toBe(before);
  } else {
    expect(result.code, `${entry.name}: ${result.stderr}`).toBe(0);
  }
  expectIntactDatabase();
  return result;
}

const ISSUE = ["issue", "--symbol=HOS", "--name=Hostile corp", "--url=https://hostile.example", "--amount=10"];
const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

const INI_CASES: Case[] = [
  { name: "binary file", ini: Buffer.from([0, 1, 2, 255, 254, 0, 10]), args: ["tx-next-nonce"], error: { code: 1, message: /not a text INI file/ } },
  { name: "unknown key", ini: "netwrok = local\n", args: ["tx-next-nonce"], error: { code: 1, message: /unknown key "netwrok"/ } },
  { name: "unicode key", ini: "nétwork = local\n", args: ["tx-next-nonce"], error: { code: 1, message: /unknown key "nétwork"/ } },
  { name: "unknown section", ini: "[foo]\nbar = 1\n", args: ["tx-next-nonce"], error: { code: 1, message: /unknown section \[foo\]/ } },
  { name: "network section without chain id", ini: "[network.mine]\nethereum-node-url = http://127.0.0.1:1\n", args: ["tx-next-nonce"], error: { code: 1, message: /needs chain-id/ } },
  { name: "gas limit not a number", ini: "ethereum-gas-limit = lots\n", args: ISSUE, error: { code: 1, message: /ethereum-gas-limit: "lots" is not a positive integer/ } },
  { name: "gas limit zero", ini: "ethereum-gas-limit = 0\n", args: ISSUE, error: { code: 1, message: /not a positive integer/ } },
  { name: "gas limit negative", ini: "ethereum-gas-limit = -21000\n", args: ISSUE, error: { code: 1, message: /not a positive integer/ } },
  { name: "gas limit huge", ini: "ethereum-gas-limit = 999999999999999999999999999999\n", args: ISSUE, error: { code: 1, message: /above the block gas limit/ } },
  { name: "gas limit below any transaction", ini: "ethereum-gas-limit = 1\n", args: ISSUE, error: { code: 1, message: /below the \d+ gas any such transaction costs/ } },
  { name: "gas price exponent", ini: "ethereum-gas-price = 1e9\n", args: ISSUE, error: { code: 1, message: /not a gas price in gwei/ } },
  { name: "gas price negative", ini: "ethereum-gas-price = -5\n", args: ISSUE, error: { code: 1, message: /not a gas price in gwei/ } },
  { name: "gas price zero", ini: "ethereum-gas-price = 0\n", args: ISSUE, error: { code: 1, message: /above zero/ } },
  { name: "boolean", ini: "auto-restart-nonce = maybe\n", args: ["tx-next-nonce"], error: { code: 1, message: /"maybe" is not a boolean/ } },
  { name: "log level", ini: "log-level = verbose\n", args: ["tx-next-nonce"], error: { code: 1, message: /not a log level/ } },
  { name: "retired network", ini: "network = kovan\n", args: ["tx-next-nonce"], error: { code: 1, message: /kovan/i } },
  // In an INI file ";" starts a comment: the network read is "'" and the rest never reaches sto.
  { name: "injection as network", ini: `network = ${INJECTION}\n`, args: ["tx-next-nonce"], error: { code: 1, message: /^error: network "'" is unknown: use one of [a-z0-9, ]+, or define \[network\..+\] with chain-id in the INI file$/ } },
  { name: "escape sequences as network", ini: `network = ${ESCAPES}\n`, args: ["tx-next-nonce"], error: { code: 1, message: /^error: network ".*RED.*" is unknown: use one of [a-z0-9, ]+, or define \[network\..+\] with chain-id in the INI file$/ } },
  { name: "script URL", bare: true, ini: "ethereum-node-url = javascript:alert(1)\n", args: ["tx-next-nonce"], error: { code: 1, message: /must be an http\(s\) or ws\(s\) URL/ } },
  { name: "not a URL", bare: true, ini: `ethereum-node-url = ${"x".repeat(5000)}\n`, args: ["tx-next-nonce"], error: { code: 1, message: /is not a URL/ } },
  { name: "private key not hex", ini: `ethereum-private-key = ${"z".repeat(64)}\n`, args: ["tx-next-nonce"], error: { code: 1, message: /64 hexadecimal digits \(value not shown\)/ } },
  { name: "missing database directory", bare: true, ini: "database-file = /nonexistent/dir/sto.sqlite\n", args: ["tx-last"], error: { code: 1, message: /directory .* does not exist/ } },
  { name: "many junk keys", ini: `${"# comment\n".repeat(50_000)}a = b\n`, args: ["tx-next-nonce"], error: { code: 1, message: /unknown key "a"/ } },
  { name: "BOM and CRLF", ini: "\uFEFFnetwork = local\r\nlog-level = warning\r\n", args: ["tx-next-nonce"] },
];

const FLAG_CASES: Case[] = [
  { name: "amount exponent", args: ["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=1e400"], error: { code: 1, message: /--amount/ } },
  { name: "amount NaN", args: ["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=NaN"], error: { code: 1, message: /--amount/ } },
  { name: "amount fullwidth digits", args: ["issue", "--symbol=X", "--name=X", "--url=https://x", "--amount=１０"], error: { code: 1, message: /--amount/ } },
  { name: "amount beyond uint256", args: ["issue", "--symbol=X", "--name=X", "--url=https://x", `--amount=${"9".repeat(80)}`], error: { code: 1, message: /--amount/ } },
  { name: "confirmations zero", args: ["tx-update", "--confirmations=0"], error: { code: 1, message: /--confirmations: "0" is not a whole number from 1 to 10000/ } },
  { name: "limit not a number", args: ["tx-last", "--limit=ten"], error: { code: 1, message: /--limit: "ten" is not a whole number from 1 to 100000000/ } },
  { name: "limit huge", args: ["tx-last", `--limit=${"9".repeat(40)}`], error: { code: 1, message: /--limit/ } },
  { name: "nonce fraction", args: ["tx-bump", "--nonce=1.5"], error: { code: 1, message: /--nonce: "1.5" is not a nonce/ } },
  { name: "fee bump exponent", args: ["tx-bump", "--fee-bump-percent=1e3"], error: { code: 1, message: /--fee-bump-percent/ } },
  { name: "empty address list", args: ["kyc-manage", "--whitelist-address=,"], error: { code: 1, message: /--whitelist-address/ } },
  { name: "injection as address", args: ["kyc-manage", `--whitelist-address=${INJECTION}`], error: { code: 1, message: /is not an Ethereum address/ } },
  { name: "escapes as token address", args: ["token-status", `--address=${ESCAPES}`], error: { code: 1, message: /is not an Ethereum address/ } },
  { name: "escapes as unknown command", args: [`${ESC}[2J${ESC}[H`], error: { code: 2, message: /unknown command/ } },
  { name: "escapes as unknown option", args: ["tx-last", `--${ESC}[31m`], error: { code: 2, message: /unknown option/ } },
  { name: "private key on the command line not hex", args: ["--ethereum-private-key", `${KEY.slice(0, 60)}${ESC}[0m`, "tx-next-nonce"], error: { code: 1, message: /64 hexadecimal digits/ } },
];

describe("hostile input", () => {
  beforeAll(async () => {
    world = await startWorld();
    // A database with rows, so that "nothing written" means something.
    await world.ok(["kyc-deploy"]);
  });
  afterAll(() => world?.close());

  it.each(INI_CASES.map((entry) => [entry.name, entry] as const))("INI file: %s", async (_name, entry) => {
    await runCase(entry);
  });

  it.each(FLAG_CASES.map((entry) => [entry.name, entry] as const))("flags: %s", async (_name, entry) => {
    await runCase(entry);
  });

  it("a database file that is not a database, or a directory, is one line and left untouched", async () => {
    const text = path.join(world.dir, "notes.txt");
    fs.writeFileSync(text, "my notes\n".repeat(100));
    const before = fs.readFileSync(text);
    const result = await world.sto(["--database-file", text, "tx-last"]);
    expectCleanOutput(result);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: database-file .*notes\.txt/);
    expect(fs.readFileSync(text).equals(before)).toBe(true);
    const directory = await world.sto(["--database-file", world.dir, "tx-last"]);
    expectCleanOutput(directory);
    expect(directory.code).toBe(1);
  });

  it("names with terminal escape sequences are refused with one line", async () => {
    await runCase({ name: "escapes in a name", args: ["issue", "--symbol=ESC", `--name=${ESCAPES}`, "--url=https://x.example", "--amount=1"], error: { code: 1, message: /--name: contains control characters/ } });
    await runCase({ name: "newline in a name", args: ["issue", "--symbol=NL", "--name=first\nsecond", "--url=https://x.example", "--amount=1"], error: { code: 1, message: /--name: contains control characters/ } });
  });

  it("names and notes with injection text, bidi overrides, C1 controls and unicode are stored and printed as data", async () => {
    // U+009B is the one-character CSI of 8-bit terminals; U+202E reverses what follows.
    const name = `${INJECTION} ${BIDI} \u009b2J Société 株式会社 🚀`;
    const issued = await runCase({ name: "hostile token name", args: ["issue", "--symbol=EVIL", `--name=${name}`, "--url=https://x.example/?a=1&b=<script>", "--amount=10"] });
    const token = tokenAddressFrom(issued);
    // Stored exactly: the notes name the token as given.
    const notes = world.query<{ note: string }>("SELECT note FROM prepared_transactions WHERE note LIKE '%DROP TABLE%'");
    expect(notes).toHaveLength(4);
    expect(notes.every((row) => row.note.includes(name))).toBe(true);
    // Printed escaped, never raw.
    expect(issued.stdout).toContain("\\u202e");
    expect(issued.stdout).toContain("\\x9b2J");

    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    const onChain = new Contract(token, ["function name() view returns (string)"], world.provider);
    expect(await onChain.getFunction("name")()).toBe(name);

    for (const args of [["tx-last", "--limit=10"], ["--json", "tx-last", "--limit=10"], ["token-status", `--address=${token}`]]) {
      expectCleanOutput(await world.ok(args));
    }
    // JSON keeps the exact text for programs, with the dangerous characters as \u escapes.
    const json = await world.ok(["--json", "token-status", `--address=${token}`]);
    expectCleanOutput(json);
    expect((JSON.parse(json.stdout) as { name: string }).name).toBe(name);
    expectIntactDatabase();
  });
});
