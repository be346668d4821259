import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startLocalChain, type LocalChain } from "../../src/chain/local-node";
import { runSto, tempDir, type StoResult } from "../helpers/cli";
import { engineDatabase } from "../helpers/e2e";

/**
 * The restarted local chain, end to end through the CLI: a chain is used (KYC contract deployed,
 * broadcast, mined), closed, and a fresh chain is started on the same port with the same chain id,
 * while the database stays. sto must notice that the chain behind the URL is another one before
 * it acts, say how to get out, and `db-forget-network` must get out without losing the old
 * records.
 */

const tmp = tempDir("sto-restart-");
let chain: LocalChain | undefined;

afterEach(async () => {
  await chain?.close();
  chain = undefined;
});
afterAll(() => tmp.cleanup());

function cli(database: string): (args: string[]) => Promise<StoResult> {
  return (args) => runSto(["--ethereum-node-url", (chain as LocalChain).url, "--database-file", database, ...args], { cwd: tmp.dir });
}

async function ok(sto: (args: string[]) => Promise<StoResult>, args: string[]): Promise<StoResult> {
  const result = await sto(args);
  expect(result.code, `sto ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

/** A chain used through the CLI: the KYC contract deployed and mined, the next nonce 1. */
async function useChain(sto: (args: string[]) => Promise<StoResult>): Promise<string> {
  const deployed = await ok(sto, ["kyc-deploy"]);
  const kyc = /KYC contract address will be (0x[0-9a-fA-F]{40})/.exec(deployed.stdout)?.[1] as string;
  await ok(sto, ["tx-broadcast"]);
  await ok(sto, ["tx-update"]);
  expect((await ok(sto, ["kyc-deploy"])).stdout).toMatch(/KYC contract already deployed at/);
  return kyc;
}

async function restartOnSamePort(): Promise<void> {
  const port = (chain as LocalChain).port;
  await (chain as LocalChain).close();
  chain = await startLocalChain({ port });
}

describe("a restarted local chain with the same database", () => {
  it("stops every command with advice, diagnose lists what disagrees, and db-forget-network archives and starts afresh", async () => {
    const database = path.join(tmp.dir, "restarted.sqlite");
    const sto = cli(database);
    chain = await startLocalChain({ port: 0 });
    const kyc = await useChain(sto);
    await restartOnSamePort();

    // Anything that talks to the node stops before it acts: never "already deployed" at an address without code.
    for (const args of [["kyc-deploy"], ["tx-broadcast"], ["kyc-manage", `--whitelist-address=${kyc}`]]) {
      const result = await sto(args);
      expect(result.code, args.join(" ")).toBe(4);
      expect(result.stdout).not.toMatch(/already deployed/);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: database .* belongs to network local on a chain whose block 0 is 0x[0-9a-f]{64}, but the node's block 0 is 0x[0-9a-f]{64}: it is another chain with the same chain id 31337/);
      expect(lines[0]).toMatch(/Use another --database-file for this chain, or run "sto db-forget-network"/);
    }

    // diagnose reports instead of stopping: the chain, the nonce, the contract without code, the unknown block.
    const diagnosis = await sto(["--json", "diagnose"]);
    expect(diagnosis.code).toBe(4);
    const report = JSON.parse(diagnosis.stdout) as { networkNonce: number; databaseNextNonce: number; disagreements: { kind: string; message: string; resolve: string }[] };
    expect(report.networkNonce).toBe(0);
    expect(report.databaseNextNonce).toBe(1);
    const kinds = report.disagreements.map((item) => item.kind);
    expect(kinds).toEqual(expect.arrayContaining(["genesis", "nonce-ahead", "missing-code", "unknown-block"]));
    for (const item of report.disagreements) expect(item.resolve).toMatch(/sto db-forget-network/);
    expect(report.disagreements.find((item) => item.kind === "missing-code")?.message).toContain(kyc);
    const text = await sto(["diagnose"]);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/Database and chain\s+│ 4 disagreement\(s\), see below/);
    expect(text.stderr).toMatch(/warning: disagreement \(missing-code\): the database deployed BasicKYC at .*; resolve with: sto db-forget-network/);

    const forgotten = await sto(["--json", "db-forget-network"]);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    const archive = (JSON.parse(forgotten.stdout) as { archive: string; transactions: number; accounts: number }).archive;
    expect(JSON.parse(forgotten.stdout)).toMatchObject({ network: "local", transactions: 1, accounts: 1 });
    expect(path.dirname(archive)).toBe(tmp.dir);
    expect(fs.statSync(archive).mode & 0o777).toBe(0o600);
    // The archive holds the old records, readable as a database of its own.
    const old = new Database(archive, { readonly: true });
    try {
      expect(old.prepare("SELECT contract_address AS address, status FROM prepared_transactions").all()).toEqual([{ address: kyc, status: "success" }]);
    } finally {
      old.close();
    }

    // Afresh on the new chain: a new deployment from nonce 0, and diagnose agrees.
    const again = await ok(sto, ["kyc-deploy"]);
    expect(again.stdout).toMatch(/Deploying KYC whitelist contract/);
    await ok(sto, ["tx-broadcast"]);
    await ok(sto, ["tx-update"]);
    const healthy = await ok(sto, ["--json", "diagnose"]);
    expect((JSON.parse(healthy.stdout) as { disagreements: unknown[] }).disagreements).toEqual([]);
  });

  it("a database from before genesis hashes were kept: the remembered KYC contract is checked for code", async () => {
    const database = path.join(tmp.dir, "older.sqlite");
    const sto = cli(database);
    chain = await startLocalChain({ port: 0 });
    const kyc = await useChain(sto);
    await restartOnSamePort();
    // What an older sto left: the chain id, no block 0.
    const db = new Database(database);
    db.prepare("UPDATE networks SET genesis_hash = NULL").run();
    db.close();

    const result = await sto(["kyc-deploy"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n").filter((line) => line.startsWith("error:"))).toEqual([
      expect.stringMatching(
        new RegExp(`^error: the KYC contract ${kyc}: the database .* recorded its deployment as mined \\(transaction 0x[0-9a-f]{64}, status success\\), but there is no code at that address on local`),
      ),
    ]);
    expect((await sto(["kyc-manage", `--whitelist-address=${kyc}`])).code).toBe(4);
    // The new chain's block 0 is recorded from now on: the next restart is caught at the connection.
    const check = new Database(database, { readonly: true });
    try {
      expect((check.prepare("SELECT genesis_hash AS hash FROM networks").get() as { hash: string | null }).hash).toMatch(/^0x[0-9a-f]{64}$/);
    } finally {
      check.close();
    }
  });
});

// Issue 18: db-forget-network on PostgreSQL. The archive is a schema of the same database, made in
// the deleting transaction; the other networks' rows stay.
describe("a restarted local chain with the same PostgreSQL database", () => {
  it("db-forget-network copies every table to an archive schema and forgets the network's rows", async () => {
    const database = await engineDatabase("postgresql", tmp.dir);
    const sto = (args: string[]) =>
      runSto(["--ethereum-node-url", (chain as LocalChain).url, ...database.databaseFlags, ...args], { cwd: tmp.dir, env: database.databaseEnv });
    chain = await startLocalChain({ port: 0 });
    const kyc = await useChain(sto);
    // Another network's row in the same database, which must survive.
    await database.rows("INSERT INTO networks (name, chain_id, genesis_hash) VALUES ('elsewhere', 999, NULL)");
    await restartOnSamePort();
    const stopped = await sto(["kyc-deploy"]);
    expect(stopped.code).toBe(4);
    expect(stopped.stderr).toMatch(/run "sto db-forget-network"/);

    const forgotten = await sto(["--json", "db-forget-network"]);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    const result = JSON.parse(forgotten.stdout) as { archive: string; network: string; transactions: number; accounts: number; chainId: number };
    expect(result).toMatchObject({ network: "local", transactions: 1, accounts: 1, chainId: 31337 });
    expect(result.archive).toMatch(/^sto_forgotten_local_\d{8}t\d{6}z$/);
    // The archive holds the old records; the live tables hold none of the network's.
    expect(await database.rows(`SELECT contract_address AS address, status FROM ${result.archive}.prepared_transactions`)).toEqual([{ address: kyc, status: "success" }]);
    expect(await database.rows(`SELECT name FROM ${result.archive}.networks ORDER BY name`)).toEqual([{ name: "elsewhere" }, { name: "local" }]);
    expect(await database.rows("SELECT count(*) AS n FROM prepared_transactions")).toEqual([{ n: 0 }]);
    expect(await database.rows("SELECT count(*) AS n FROM transaction_signatures")).toEqual([{ n: 0 }]);
    expect(await database.rows("SELECT name FROM networks")).toEqual([{ name: "elsewhere" }]);

    // Afresh on the new chain: a new deployment from nonce 0, and diagnose agrees.
    const again = await ok(sto, ["kyc-deploy"]);
    expect(again.stdout).toMatch(/Deploying KYC whitelist contract/);
    await ok(sto, ["tx-broadcast"]);
    await ok(sto, ["tx-update"]);
    const healthy = await ok(sto, ["--json", "diagnose"]);
    expect((JSON.parse(healthy.stdout) as { disagreements: unknown[] }).disagreements).toEqual([]);
  });
});
