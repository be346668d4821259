/**
 * PostgreSQL's cap table of a million holders, without the whole bench (which writes the token
 * again each run, several minutes): `serve` starts the throw-away PostgreSQL server of the
 * benchmarks in DIR, writes the synthetic token of bench/workloads/captable-scale.ts once and keeps
 * the server up until Ctrl-C (or SIGTERM); `time` runs `sto cap-table` against it, as measureScale
 * does (128 MB JavaScript heap, output to a file), and prints each run's wall time, peak RSS and
 * the SHA-256 of the output, so that two builds can be compared byte for byte.
 *
 *   npx tsx bench/pg-captable.ts serve /tmp/pgcap [--holders 1000000]
 *   npx tsx bench/pg-captable.ts time /tmp/pgcap [--runs 3] [--formats table,csv,json] [--sto other/bin/sto]
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { LOCAL_CHAIN_ID } from "../src/chain/local-node";
import { parseDatabaseUrl } from "../src/config/database";
import { openAuditDatabase } from "../src/db/database";
import { writeSyntheticToken } from "../src/devtools/synthetic-token";
import { startBenchPostgres } from "./lib/postgres";
import { runSto, setMeasuredSto } from "./lib/sto-cli";

interface Served {
  database: string;
  password: string;
  token: string;
  pastBlock: number;
  holders: number;
}

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    holders: { type: "string", default: "1000000" },
    runs: { type: "string", default: "1" },
    formats: { type: "string", default: "table,csv,json" },
    sto: { type: "string", default: "" },
  },
});

async function serve(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const server = await startBenchPostgres(dir);
  const stop = async () => {
    await server.stop();
    fs.rmSync(path.join(dir, "served.json"), { force: true });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  try {
    const database = await server.database("pg_captable");
    const db = await openAuditDatabase(parseDatabaseUrl(database, "bench"));
    const started = performance.now();
    const token = await writeSyntheticToken(db, { chainId: LOCAL_CHAIN_ID, holders: Number(options.holders), seed: "bench-1000000" });
    await db.sql.run("ANALYZE");
    await db.close();
    const served: Served = { database, password: process.env.PGPASSWORD ?? "", token: token.address, pastBlock: token.pastBlock, holders: token.holders };
    fs.writeFileSync(path.join(dir, "served.json"), JSON.stringify(served));
    console.log(`written in ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify({ ...served, password: "(in served.json)" })}`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  // Kept up until a signal.
  setInterval(() => undefined, 1 << 30);
}

async function time(dir: string): Promise<void> {
  const served = JSON.parse(fs.readFileSync(path.join(dir, "served.json"), "utf8")) as Served;
  process.env.PGPASSWORD = served.password;
  const sto = options.sto;
  if (sto) setMeasuredSto(path.resolve(sto));
  const runs = Number(options.runs);
  for (const format of options.formats.split(",")) {
    const output = path.join(dir, `captable.${format}`);
    for (let run = 0; run < runs; run++) {
      fs.rmSync(output, { force: true });
      const args = ["--database-url", served.database, ...(format === "json" ? ["--json"] : []), "cap-table", "--token-address", served.token, "--at-block", String(served.pastBlock)];
      if (format !== "json") args.push("--format", format);
      args.push("--output", output);
      const result = await runSto(args, {}, ["--max-old-space-size=128"]);
      const hash = crypto.createHash("sha256").update(fs.readFileSync(output)).digest("hex").slice(0, 16);
      console.log(`${format} run ${run + 1}: ${Math.round(result.wallMs)} ms wall, ${Math.round(result.cpuMs)} ms CPU (sto), peak RSS ${Math.round(result.maxRssKb / 1024)} MB, sha256 ${hash}`);
    }
    fs.rmSync(output, { force: true });
  }
}

const [command, dir] = positionals;
if (!dir || (command !== "serve" && command !== "time")) {
  console.error("usage: tsx bench/pg-captable.ts serve|time DIR [--holders N] [--runs N] [--formats table,csv,json] [--sto BIN]");
  process.exit(2);
}
(command === "serve" ? serve(path.resolve(dir)) : time(path.resolve(dir))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
