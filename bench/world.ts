/**
 * A local chain, a temporary audit database and a freshly issued token, for the distribution
 * benchmarks. Everything goes through sto's own services (prepare, broadcast, update), as the CLI does.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { spawn, type ChildProcess } from "node:child_process";
import { DEVELOPMENT_PRIVATE_KEY } from "../src/chain/local-node";
import { ContractArtifacts } from "../src/contracts/artifacts";
import { openDatabase } from "../src/db/database";
import { checkNetworkChainId } from "../src/db/networks";
import { prepareIssue } from "../src/token/issuance";
import { deployKyc, prepareWhitelist } from "../src/token/kyc";
import { broadcastPending } from "../src/tx/broadcast";
import type { SigningEnvironment } from "../src/tx/environment";
import { updateTransactions } from "../src/tx/update";

export interface BenchWorld {
  url: string;
  env: SigningEnvironment;
  dir: string;
  token: string;
  kyc?: string;
  /** Broadcasts everything waiting and records the results. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function benchWorld(options: { restricted: boolean; supply?: string }): Promise<BenchWorld> {
  const { url, child } = await startChainProcess();
  // cacheTimeout -1: ethers otherwise answers identical calls within 250 ms from a cache, and a
  // benchmark that broadcasts and prepares again at once would read a stale nonce.
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50, cacheTimeout: -1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-bench-"));
  const db = openDatabase(path.join(dir, "transactions.sqlite"));
  const chainId = Number((await provider.getNetwork()).chainId);
  await checkNetworkChainId(db, "local", chainId);
  const wallet = new Wallet(DEVELOPMENT_PRIVATE_KEY, provider);
  const env: SigningEnvironment = {
    db,
    provider,
    network: "local",
    chainId,
    address: wallet.address,
    wallet,
    artifacts: new ContractArtifacts(),
    autoRestartNonce: true,
    debug: process.env.BENCH_DEBUG ? (message) => console.error(`debug: ${message}`) : undefined,
  };
  const settle = async () => {
    await broadcastPending(env);
    await updateTransactions(env, { confirmations: 1 });
  };
  let kyc: string | undefined;
  if (options.restricted) {
    kyc = (await deployKyc(env)).address;
    await prepareWhitelist(env, kyc, [env.address]);
    await settle();
  }
  const supply = options.supply ?? "1000000000";
  const issued = await prepareIssue(env, {
    name: "Bench corp",
    symbol: "BENCH",
    url: "https://example.com",
    amount: BigInt(supply) * 10n ** 18n,
    amountText: supply,
    restriction: options.restricted ? "restricted" : "unrestricted",
  });
  await settle();
  return {
    url,
    env,
    dir,
    token: issued.tokenAddress,
    kyc,
    settle,
    close: async () => {
      db.close();
      provider.destroy();
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` new random receivers (they never held the token: the expensive case). */
export function randomAddresses(count: number): string[] {
  // Random 20-byte addresses without key generation (Wallet.createRandom costs ~1 ms each).
  return Array.from({ length: count }, () => `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("hex")}`);
}

/** Writes a distribution CSV of the given receivers and returns its path. */
export function writeCsv(dir: string, name: string, receivers: readonly string[], idPrefix: string): string {
  const lines = ["external_id,email,name,address,amount"];
  receivers.forEach((address, index) => lines.push(`${idPrefix}${index},holder${index}@example.com,Holder ${index},${address},${(index % 97) + 1}.25`));
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Starts bench/local-chain.ts in a child process and waits for its URL. */
function startChainProcess(): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "local-chain.ts")], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /http:\/\/\S+/.exec(output);
      if (match) resolve({ url: match[0], child });
    });
    child.on("exit", (code) => reject(new Error(`local chain exited with code ${code}`)));
  });
}
