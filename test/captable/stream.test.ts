import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCapTable, type CapTable, type CapTableEntry, type CapTableRequest } from "../../src/captable/captable";
import { capTableCsv, capTableJson, numberColumns, tableHead, tableRows, unverifiedBanner } from "../../src/captable/format";
import { readIdentityFile } from "../../src/captable/identity-file";
import { streamCapTable } from "../../src/captable/stream";
import { renderTextTable } from "../../src/cli/text-table";
import { jsonReplacer } from "../../src/cli/output";
import { parseDatabaseUrl } from "../../src/config/database";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { openAuditDatabase, type StoDatabase } from "../../src/db/database";
import { writeSyntheticToken, type SyntheticToken } from "../../src/devtools/synthetic-token";
import { runSto, tempDir } from "../helpers/cli";
import { ENGINES, type Engine } from "../helpers/e2e";
import { freshPostgresDatabase } from "../helpers/postgres";

/**
 * The streamed cap table (src/captable/stream.ts: several passes in one snapshot, entries a page at
 * a time) against the one held in memory (buildCapTable), on both engines: entry for entry in
 * process over many requests, and byte for byte through the real CLI in every streamed format.
 * Then that streaming is what keeps the memory bounded: a table whose in-memory form does not fit
 * a small JavaScript heap is printed whole in it.
 */

const tmp = tempDir("sto-captable-stream-");
afterAll(() => tmp.cleanup());

interface EngineCase {
  db: StoDatabase;
  flags: string[];
  env: NodeJS.ProcessEnv;
  token: SyntheticToken;
}

const cases = new Map<Engine, EngineCase>();
/** Names for some holders (among them one of the few balances all holders share, and one that starts with "="). */
let identityFile = "";

beforeAll(async () => {
  for (const engine of ENGINES) {
    let db: StoDatabase;
    let flags: string[];
    let env: NodeJS.ProcessEnv = {};
    if (engine === "sqlite") {
      const file = path.join(tmp.dir, "stream.sqlite");
      db = await openAuditDatabase({ engine: "sqlite", file });
      flags = ["--database-file", file];
    } else {
      const url = await freshPostgresDatabase();
      db = await openAuditDatabase(parseDatabaseUrl(url, "test"));
      const shown = new URL(url);
      shown.password = "";
      flags = ["--database-url", shown.href];
      env = { PGPASSWORD: decodeURIComponent(new URL(url).password) };
    }
    // Few distinct amounts: hundreds of holders share each remainder, so the units missing to 100%
    // are decided among equal balances by address; emptied and negative balances as well.
    const token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders: 700, seed: "stream-test", fewAmounts: true, emptied: 5, negatives: 2 });
    cases.set(engine, { db, flags, env, token });
  }
  const holders = await buildCapTable(cases.get("sqlite")!.db, { chainId: LOCAL_CHAIN_ID, tokenAddress: cases.get("sqlite")!.token.address, orderBy: "address", direction: "asc" });
  identityFile = path.join(tmp.dir, "identities.csv");
  const named = holders.entries.filter((_, index) => index % 9 === 0).slice(0, 40);
  fs.writeFileSync(identityFile, `name,address\n${named.map((entry, index) => `${index === 3 ? "=Formula" : `Holder ${(index * 37) % 40}`},${entry.address}`).join("\n")}\n`);
});

afterAll(async () => {
  for (const { db } of cases.values()) await db.close();
});

async function streamed(db: StoDatabase, request: CapTableRequest): Promise<{ table: CapTable; entries: CapTableEntry[]; pages: number }> {
  return streamCapTable(db, request, async (table, list) => {
    const entries: CapTableEntry[] = [];
    let pages = 0;
    for await (const page of list()) {
      pages += 1;
      entries.push(...page);
    }
    return { table, entries, pages };
  });
}

describe.each(ENGINES)("the streamed cap table on %s", (engine) => {
  const requests = (token: SyntheticToken): [string, Partial<CapTableRequest>][] => [
    ["default (by balance, largest first)", {}],
    ["past block", { atBlock: token.pastBlock }],
    ["by balance ascending, empty ones too", { orderBy: "balance", direction: "asc", includeEmpty: true }],
    ["by last transfer", { orderBy: "updated", direction: "desc" }],
    ["by address descending, 25 entries", { orderBy: "address", direction: "desc", maxEntries: 25 }],
    ["by name with identities", { orderBy: "name", direction: "asc", identities: readIdentityFile(identityFile) }],
    ["by name descending, 30 entries (the named ones and the first others)", { orderBy: "name", direction: "desc", identities: readIdentityFile(identityFile), maxEntries: 30 }],
    ["accuracy 0", { accuracy: 0 }],
    ["accuracy 5", { accuracy: 5 }],
    ["accuracy 1 at the past block", { accuracy: 1, atBlock: token.pastBlock }],
  ];

  it("lists the same entries, shares and header as the table held in memory", async () => {
    const { db, token } = cases.get(engine)!;
    for (const [label, extra] of requests(token)) {
      const request: CapTableRequest = { chainId: LOCAL_CHAIN_ID, tokenAddress: token.address, ...extra };
      const whole = await buildCapTable(db, request);
      const { table, entries } = await streamed(db, request);
      expect(entries.length, label).toBe(whole.entries.length);
      expect(entries, label).toEqual(whole.entries);
      expect({ ...table, entries: [] }, label).toEqual({ ...whole, entries: [] });
      // The shares are the largest-remainder ones: exactly 100% over all holders when all are listed.
      if (extra.maxEntries === undefined) {
        const sum = entries.reduce((total, entry) => total + (entry.percentUnits ?? 0n), 0n);
        expect(sum, label).toBe(100n * 10n ** BigInt(extra.accuracy ?? 2));
      }
    }
  });

  it("prints, through the CLI, the text the in-memory formatters give: table, CSV, --format json, --json and files", async () => {
    const { db, token, flags, env } = cases.get(engine)!;
    const sto = (args: string[]) => runSto([...flags, "cap-table", "--token-address", token.address, ...args], { env });
    // At the last block: the negative balances are there (warnings on stderr, before the document).
    const request: CapTableRequest = { chainId: LOCAL_CHAIN_ID, tokenAddress: token.address, identities: readIdentityFile(identityFile) };
    const whole = await buildCapTable(db, request);
    const common = ["--identity-file", identityFile];

    const csv = await sto([...common, "--format", "csv"]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(capTableCsv(whole));
    expect(csv.stderr).toContain("warning: events are missing");

    const json = await sto([...common, "--format", "json"]);
    expect(json.stdout).toBe(`${JSON.stringify(capTableJson(whole), jsonReplacer, 2)}\n`);
    const data = await sto(["--json", ...common]);
    expect(data.stdout).toBe(json.stdout);

    const table = await sto(common);
    expect(table.code, table.stderr).toBe(0);
    const rendered = renderTextTable(tableHead(whole), tableRows(whole), numberColumns(whole));
    expect(table.stdout.endsWith(`\n\n${rendered}\n`)).toBe(true);
    expect(table.stdout).toContain(`Holder count:        ${whole.holderCount}\n`);
    expect(unverifiedBanner(whole)).toBeNull();

    const limited = await sto([...common, "--max-entries", "7", "--order-by", "name"]);
    expect(limited.stdout).toContain(`${whole.totalEntries - 7} more entries not shown (--max-entries 7)`);

    for (const [format, expected] of [
      ["csv", capTableCsv(whole)],
      ["json", `${JSON.stringify(capTableJson(whole), jsonReplacer, 2)}\n`],
      ["table", `${renderTextTable(tableHead(whole), tableRows(whole), numberColumns(whole))}\n`],
    ] as const) {
      const file = path.join(tmp.dir, `${engine}-${format}.out`);
      const written = await sto([...common, "--format", format, "--output", file]);
      expect(written.code, written.stderr).toBe(0);
      expect(fs.readFileSync(file, "utf8"), format).toBe(expected);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(tmp.dir).filter((name) => name.endsWith(".partial"))).toEqual([]);
    }
  }, 400_000);
});

describe("the streamed cap table on both engines", () => {
  // PostgreSQL reads every pass from one sorted cursor (StateReader); SQLite runs each pass's query.
  it("prints the same bytes from SQLite and PostgreSQL, at the last and at a past block, in every order", async () => {
    const sqlite = cases.get("sqlite")!;
    const postgres = cases.get("postgresql")!;
    expect(postgres.token).toEqual(sqlite.token);
    const token = sqlite.token;
    const variants: string[][] = [
      ["--format", "table"],
      ["--format", "json"],
      ["--format", "csv", "--order-by", "balance", "--order-direction", "asc", "--include-empty"],
      ["--format", "csv", "--order-by", "updated"],
      ["--format", "csv", "--order-by", "address", "--order-direction", "desc", "--max-entries", "25"],
      ["--format", "csv", "--order-by", "name", "--identity-file", identityFile, "--max-entries", "60"],
      ["--format", "csv", "--accuracy", "1", "--max-entries", "300"],
    ];
    for (const block of [[], ["--at-block", String(token.pastBlock)]]) {
      for (const variant of variants) {
        const args = ["cap-table", "--token-address", token.address, ...block, ...variant];
        const [a, b] = await Promise.all([sqlite, postgres].map((engine) => runSto([...engine.flags, ...args], { env: engine.env })));
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        // The one thing that differs: when each database was written ("Database updated at", updatedAt).
        const written = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
        expect(b.stdout.replace(written, "(written)"), args.join(" ")).toBe(a.stdout.replace(written, "(written)"));
        expect(b.stdout.length).toBeGreaterThan(500);
      }
    }
  }, 400_000);

  it("lists the entries twice at once on PostgreSQL (the second listing runs its own query while the first reads the cursor)", async () => {
    const { db } = cases.get("postgresql")!;
    // More holders than a page, so that the two listings take turns.
    const token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders: 4_500, seed: "stream-twice", fewAmounts: true, emptied: 3 });
    for (const extra of [{ atBlock: token.pastBlock, accuracy: 3 }, { orderBy: "updated", direction: "asc", includeEmpty: true }] as Partial<CapTableRequest>[]) {
      const request: CapTableRequest = { chainId: LOCAL_CHAIN_ID, tokenAddress: token.address, ...extra };
      const whole = await buildCapTable(db, request);
      const [first, second] = await streamCapTable(db, request, async (_table, list) => {
        const lists: CapTableEntry[][] = [[], []];
        const iterators = [list()[Symbol.asyncIterator](), list()[Symbol.asyncIterator]()];
        const done = [false, false];
        // Page by page, in turn: neither listing ends before the other starts.
        while (!done[0] || !done[1]) {
          for (const index of [0, 1]) {
            if (done[index]) continue;
            const next = await iterators[index].next();
            if (next.done) done[index] = true;
            else lists[index].push(...next.value);
          }
        }
        return lists;
      });
      expect(whole.entries.length).toBeGreaterThan(4_000);
      expect(first).toEqual(whole.entries);
      expect(second).toEqual(whole.entries);
    }
  });
});

describe("bounded memory", () => {
  it("prints a table whose in-memory form does not fit a small JavaScript heap", async () => {
    const file = path.join(tmp.dir, "large.sqlite");
    const db = await openAuditDatabase({ engine: "sqlite", file });
    let token: SyntheticToken;
    try {
      token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders: 60_000, seed: "stream-heap" });
    } finally {
      await db.close();
    }
    // In process: the entries come in pages (2,000 rows each), the same as the table held in memory.
    const reopened = await openAuditDatabase({ engine: "sqlite", file });
    try {
      const request: CapTableRequest = { chainId: LOCAL_CHAIN_ID, tokenAddress: token.address, atBlock: token.pastBlock, accuracy: 4 };
      const { entries, pages } = await streamed(reopened, request);
      expect(pages).toBe(Math.ceil(token.holders / 2_000));
      expect(entries).toEqual((await buildCapTable(reopened, request)).entries);
    } finally {
      await reopened.close();
    }
    const heap = { NODE_OPTIONS: "--max-old-space-size=24" };
    const run = (args: string[]) => runSto(["--database-file", file, "cap-table", "--token-address", token.address, ...args], { env: heap, timeoutMs: 300_000 });
    // The HTML page is built in memory: in this heap it cannot be.
    const html = await run(["--format", "html", "--output", path.join(tmp.dir, "large.html")]);
    expect(html.code).not.toBe(0);
    expect(html.stderr).toMatch(/heap out of memory|Allocation failed/);
    // The same holders streamed as CSV: every one of them, the percentages adding up to 100.
    const csv = await run(["--format", "csv"]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split("\n");
    expect(lines.length).toBe(token.holders + 1);
    const hundredths = lines.slice(1).reduce((sum, line) => sum + Math.round(Number(line.split(",")[3]) * 100), 0);
    expect(hundredths).toBe(10_000);
  }, 600_000);
});
