import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";
import { closedNodeUrl, runSto, type StoResult } from "../helpers/cli";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

function expectOneLine(result: StoResult, code: number, message: RegExp): void {
  expect(result.stderr, "no stack trace").not.toMatch(/\n\s+at /);
  expect(result.code, result.stderr).toBe(code);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(message);
}

const mode = (file: string): number => fs.statSync(file).mode & 0o777;

/**
 * The machine and the files around sto: devices and huge files given as input, a foreign or newer
 * database, locks held by others, full disks. Each is one line with advice, never "a bug" (exit 70).
 */
describe("files and the environment", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
  });
  afterAll(() => world?.close());

  it.each([
    ["--config", ["--config", "/dev/zero", "tx-last"], /\/dev\/zero: not a regular file \(a device, pipe or socket\); give the configuration as a file/],
    ["--ethereum-keystore", ["--ethereum-keystore", "/dev/zero", "kyc-deploy"], /ethereum-keystore \/dev\/zero: not a regular file/],
    ["--ethereum-abi-file", ["--ethereum-abi-file", "/dev/zero", "kyc-deploy"], /\/dev\/zero: not a regular file/],
    ["--identity-file", ["cap-table", "--token-address=0x5FbDB2315678afecb367f032d93F642f64180aa3", "--identity-file=/dev/zero"], /\/dev\/zero: not a regular file/],
    ["--csv-input", ["distribute-multiple", "--csv-input=/dev/zero", "--address=0x5FbDB2315678afecb367f032d93F642f64180aa3"], /\/dev\/zero: not a regular file/],
    ["tx-sign --input", ["--ethereum-private-key", KEY, "tx-sign", "--input=/dev/zero", "--output=signed.json"], /--input \/dev\/zero: not a regular file/],
    ["tx-import --input", ["tx-import", "--input=/dev/zero"], /--input \/dev\/zero: not a regular file/],
  ])("refuses a device as %s at once", async (_name, args, message) => {
    expectOneLine(await world.sto(args, { env: { STO_KEYSTORE_PASSWORD: "x" }, timeoutMs: 60_000 }), 1, message);
  });

  it("refuses an input file above the limit of its kind without reading it", async () => {
    const huge = path.join(world.dir, "huge.ini");
    // A sparse file: 2 GB on paper, nothing on disk.
    fs.closeSync(fs.openSync(huge, "w"));
    fs.truncateSync(huge, 2 * 1024 ** 3);
    try {
      expectOneLine(await world.sto(["--config", huge, "tx-last"]), 1, /huge\.ini: 2048 MB is more than a configuration may be \(1\.0 MB\)/);
      expectOneLine(await world.sto(["tx-import", `--input=${huge}`]), 1, /huge\.ini: 2048 MB is more than a transaction file may be \(256 MB\)/);
    } finally {
      fs.rmSync(huge);
    }
  });

  it("creates the audit database, its -wal and -shm files and reports readable by the owner only", async () => {
    const database = path.join(world.dir, "private.sqlite");
    const issued = await runSto(["--database-file", database, "--ethereum-node-url", world.chain.url, "issue", "--symbol=PRV", "--name=Private", "--url=https://p.example", "--amount=10"], { cwd: world.dir });
    expect(issued.code, issued.stderr).toBe(0);
    expect(mode(database)).toBe(0o600);
    // SQLite gives the -wal and -shm files of a connection the database file's permissions.
    const reader = new Database(database);
    try {
      reader.prepare("SELECT count(*) FROM prepared_transactions").get();
      for (const file of [`${database}-wal`, `${database}-shm`]) expect(mode(file), file).toBe(0o600);
    } finally {
      reader.close();
    }
    const sto = (args: string[]) => runSto(["--database-file", database, "--ethereum-node-url", world.chain.url, ...args], { cwd: world.dir });
    expect((await sto(["tx-broadcast"])).code).toBe(0);
    const token = tokenAddressFrom(issued);
    expect((await sto(["token-scan", `--token-address=${token}`])).code).toBe(0);
    const report = path.join(world.dir, "report.html");
    fs.writeFileSync(report, "old report, readable by all");
    fs.chmodSync(report, 0o644);
    const written = await sto(["cap-table", `--token-address=${token}`, "--format=html", `--output=${report}`, "--force"]);
    expect(written.code, written.stderr).toBe(0);
    expect(mode(report)).toBe(0o600);
    expect(fs.readFileSync(report, "utf8")).toContain("<html");

    // Writing where it cannot: a missing directory, a directory, a full disk.
    expectOneLine(await sto(["cap-table", `--token-address=${token}`, "--format=csv", `--output=${path.join(world.dir, "no", "such", "dir.csv")}`]), 1, /--output .*dir\.csv: cannot write \(no such file or directory\)/);
    expectOneLine(await sto(["cap-table", `--token-address=${token}`, "--format=csv", `--output=${world.dir}`, "--force"]), 1, /--output .*: cannot write \(is a directory\)/);
    expectOneLine(await sto(["cap-table", `--token-address=${token}`, "--format=csv", "--output=/dev/full", "--force"]), 1, /--output \/dev\/full: cannot write \(the disk is full\)/);
    expectOneLine(await sto(["cap-table", `--token-address=${token}`, "--format=json", "--output=/dev/full", "--force"]), 1, /--output \/dev\/full: cannot write \(the disk is full\)/);
    // Written as the device it is, never replaced by a renamed file (the streamed writer once did, as root).
    expect(fs.statSync("/dev/full").isCharacterDevice()).toBe(true);
  });

  it("refuses another program's SQLite database and leaves it exactly as it was", async () => {
    const foreign = path.join(world.dir, "foreign.sqlite");
    const db = new Database(foreign);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')");
    db.close();
    const before = fs.readFileSync(foreign);
    expectOneLine(await world.sto(["--database-file", foreign, "tx-last"]), 1, /foreign\.sqlite: not a sto audit database \(it holds other tables: notes\); nothing was changed/);
    expect(fs.readFileSync(foreign).equals(before)).toBe(true);
    expect(fs.existsSync(`${foreign}-wal`)).toBe(false);
  });

  it("refuses a database whose schema a newer sto wrote, naming that version", async () => {
    const newer = path.join(world.dir, "newer.sqlite");
    fs.copyFileSync(world.databaseFile, newer);
    const db = new Database(newer);
    db.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)").run(Date.UTC(2031, 0, 1));
    db.pragma("user_version = 9002001");
    db.close();
    const before = fs.readFileSync(newer);
    expectOneLine(await world.sto(["--database-file", newer, "tx-last"]), 1, /newer\.sqlite: its schema was written by sto 9\.2\.1 \(migration of 2031-01-01T00:00:00\.000Z\), newer than this sto \d+\.\d+\.\d+ knows/);
    expectOneLine(await world.sto(["--database-file", newer, "kyc-deploy"]), 1, /written by sto 9\.2\.1/);
    expect(fs.readFileSync(newer).equals(before)).toBe(true);
  });

  it("lets read-only commands run while another process holds the write lock", async () => {
    const holder = new Database(world.databaseFile);
    holder.exec("BEGIN IMMEDIATE");
    try {
      const result = await world.sto(["tx-last", "--limit=3"], { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/BasicKYC|KYC/);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });

  it("explains a database damaged after it was opened, as damage rather than a bug", async () => {
    const damaged = path.join(world.dir, "damaged.sqlite");
    fs.copyFileSync(world.databaseFile, damaged);
    const db = new Database(damaged);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.pragma("journal_mode = DELETE");
    const page = db.pragma("page_size", { simple: true }) as number;
    db.close();
    // Keep page 1 (the header and schema) and overwrite the table pages behind it.
    const bytes = fs.readFileSync(damaged);
    bytes.fill(0xa5, page, bytes.length);
    fs.writeFileSync(damaged, bytes);
    const result = await world.sto(["--database-file", damaged, "tx-last"]);
    expectOneLine(result, 1, /the audit database file is damaged .*restore it from a backup/);
  });

  it.each([
    ["an empty --database-file", ["--database-file=", "tx-last"], /--database-file: empty; give a value or leave the option out/],
    ["an empty --ethereum-node-url", ["--ethereum-node-url=", "tx-next-nonce"], /--ethereum-node-url: empty/],
    ["a --limit beyond range", ["tx-last", "--limit=99999999999999"], /--limit: "99999999999999" is not a whole number from 1 to 100000000/],
    ["a private key out of the curve's range", ["--ethereum-private-key", `0x${"f".repeat(64)}`, "tx-next-nonce"], /the private key is out of range .*value not shown/],
  ])("refuses %s with one line", async (_name, args, message) => {
    const result = await runSto(args, { cwd: world.dir });
    expectOneLine(result, 1, message);
    expect(result.stderr).not.toContain("f".repeat(64));
  });

  it("warns once that a private key on the command line is visible to other users", async () => {
    const result = await world.sto(["--ethereum-private-key", KEY, "tx-next-nonce"]);
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("process list"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: the private key was given on the command line.*STO_ETHEREUM_PRIVATE_KEY or --ethereum-keystore/);
    expect(result.stderr + result.stdout).not.toContain(KEY.slice(2));
    const fromEnvironment = await world.sto(["tx-next-nonce"], { env: { STO_ETHEREUM_PRIVATE_KEY: KEY } });
    expect(fromEnvironment.stderr).not.toMatch(/process list/);
  });

  it("never shows a node URL's path or query, where API keys live", async () => {
    const secret = "9aa3d95b3bc440fa88ea12eaa4456161";
    for (const url of [`${await closedNodeUrl()}/v3/${secret}`, `${await closedNodeUrl()}/rpc?apikey=${secret}`, `${await closedNodeUrl()}/${secret.slice(0, 6)}`]) {
      const result = await runSto(["--ethereum-node-url", url, "--database-file", path.join(world.dir, "url.sqlite"), "tx-next-nonce"], {
        cwd: world.dir,
        env: { STO_RPC_ATTEMPTS: "1" },
      });
      expectOneLine(result, 3, /cannot reach the Ethereum node at http:\/\/127\.0\.0\.1:\d+\/… /);
      expect(result.stderr + result.stdout).not.toContain(secret.slice(0, 6));
    }
  });

  it("explains a node answering with values of the wrong type as a node problem, exit 3", async () => {
    // Answers the chain id correctly and everything else with an object.
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const parsed = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
        const answer = (call: { id: number; method: string }) => ({ jsonrpc: "2.0", id: call.id, result: call.method === "eth_chainId" ? "0x7a69" : { x: 1 } });
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
      for (const [args, method, shape] of [
        [["tx-next-nonce"], "eth_getTransactionCount", "an object where a hex number belongs"],
        [["token-status", `--address=${token}`], "eth_getCode", "an object where hex data belongs"],
        [["token-scan", `--token-address=${token}`], "eth_blockNumber", "an object where a hex number belongs"],
      ] as const) {
        const result = await runSto(["--ethereum-node-url", url, "--database-file", path.join(world.dir, "types.sqlite"), ...args], { cwd: world.dir });
        expectOneLine(result, 3, new RegExp(`answered ${method} with ${shape}; no node sends that: check ethereum-node-url`));
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
