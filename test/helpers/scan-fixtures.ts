/**
 * What the scanner and cap table tests need: a real in-process Hardhat chain over JSON-RPC, funded
 * development wallets, our SecurityToken (with a transfer verifier) or a plain OpenZeppelin ERC-20,
 * and a random transfer history among many holders, remembered block by block for differential
 * checks against the chain itself.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Contract, ContractTransactionResponse, JsonRpcProvider } from "ethers";
import { LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { DEFAULT_RETRY_POLICY, JsonRpcTransport, type RetryPolicy } from "../../src/chain/rpc";
import { SqliteScanDatabase } from "../../src/scan/store";
import { TokenScanner, type ScanOptions } from "../../src/scan/scanner";
import { removeAfterFile } from "./cleanup";
import { as, mined, startTestChain, type TestChain, type TestSigner } from "./chain";
import { seededRandom } from "./random";

export interface ScanChain {
  url: string;
  provider: JsonRpcProvider;
  /** Development accounts #0..#9, funded. */
  wallets: TestSigner[];
  test: TestChain;
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Mines real blocks one by one (hardhat_mine's bulk blocks have no state: eth_getCode answers 0x on them). */
  mine(blocks?: number): Promise<void>;
  blockNumber(): Promise<number>;
  snapshot(): Promise<string>;
  /** Restores a snapshot and resets the signers' nonces. */
  revert(snapshot: string): Promise<void>;
  close(): Promise<void>;
}

export async function startScanChain(): Promise<ScanChain> {
  const test = await startTestChain({ accounts: 10 });
  const rpc = <T>(method: string, params: unknown[] = []) => test.provider.send(method, params) as Promise<T>;
  return {
    url: test.url,
    provider: test.provider,
    wallets: test.signers,
    test,
    rpc,
    mine: async (blocks = 1) => {
      for (let i = 0; i < blocks; i++) await rpc("evm_mine");
    },
    blockNumber: () => test.provider.getBlockNumber(),
    snapshot: () => test.snapshot(),
    revert: (snapshot) => test.revert(snapshot),
    close: () => test.close(),
  };
}

/** Our SecurityToken, ready for ordinary transfers (an unrestricted transfer agent is set). */
export async function deploySecurityToken(chain: ScanChain, issuer: TestSigner, name = "Moo Corp", symbol = "MOO"): Promise<Contract> {
  const token = await chain.test.deploy("SecurityToken", [name, symbol, "https://example.com/moo"], issuer);
  const agent = await chain.test.deploy("UnrestrictedTransferAgent", [], issuer);
  await mined(token.setTransferVerifier(await agent.getAddress()));
  return token;
}

export async function deployPlainErc20(chain: ScanChain, deployer: TestSigner, name = "Plain Token", symbol = "PLN"): Promise<Contract> {
  return chain.test.deploy("PlainERC20", [name, symbol], deployer);
}

/**
 * A scanner of a token on the local chain served at `url` (the chain itself, or a proxy in front of
 * it), over the one transport with `retry` laid over the default policy (short delays for tests).
 */
export function localScanner(
  url: string,
  db: SqliteDatabase,
  tokenAddress: string,
  extra: Partial<ScanOptions> & { retry?: Partial<RetryPolicy> } = {},
): TokenScanner {
  const { retry, ...options } = extra;
  const transport = new JsonRpcTransport(url, { ...DEFAULT_RETRY_POLICY, ...retry });
  return new TokenScanner(new SqliteScanDatabase(db), transport, {
    network: "local",
    chainId: LOCAL_CHAIN_ID,
    tokenAddress,
    chainChangeDelayMs: retry?.baseDelayMs,
    ...options,
  });
}

/** `count` fresh addresses that only ever receive (no keys needed: force transfers move them). */
export function randomAddresses(count: number, next: () => number): string[] {
  return Array.from({ length: count }, () => {
    let hex = "0x";
    for (let i = 0; i < 40; i++) hex += Math.floor(next() * 16).toString(16);
    return hex;
  }).map((address) => address.toLowerCase());
}

export interface HistoryOptions {
  seed: number;
  /** Operations (transactions); batch transfers make many events each. */
  operations: number;
  /** Addresses without keys that receive and are moved by force transfers. */
  passiveHolders: number;
  /** Blocks where a few transactions are mined together. */
  multiTxBlocks?: number;
}

export interface History {
  /** Every address that ever took part (lowercase). */
  holders: string[];
  /** Blocks worth checking: one after each operation, the first and last. */
  blocks: number[];
  events: number;
}

/**
 * A random history on our SecurityToken: issues, batch transfers to many holders, ordinary
 * transfers and batch transfers between wallets, force transfers (lost-key recovery) among passive
 * holders, burns, and a few blocks holding several transactions at once.
 */
export async function securityTokenHistory(chain: ScanChain, token: Contract, options: HistoryOptions): Promise<History> {
  const next = seededRandom(options.seed);
  const [issuer, ...others] = chain.wallets;
  const actives = others.slice(0, 5);
  const passive = randomAddresses(options.passiveHolders, next);
  const everyone = [...actives.map((wallet) => wallet.address.toLowerCase()), ...passive];
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const amount = (max: bigint) => (max <= 0n ? 0n : (max * BigInt(Math.floor(next() * 1001))) / 1000n);
  const blocks: number[] = [await chain.blockNumber()];
  let events = 0;
  
  await mined(as(token, issuer).issueTokens(10n ** 24n));
  events++;
  for (let op = 0; op < options.operations; op++) {
    const roll = next();
    if (roll < 0.3) {
      const receivers = Array.from({ length: 5 + Math.floor(next() * 40) }, () => pick(everyone)).filter(
        (receiver) => receiver !== issuer.address.toLowerCase(),
      );
      const issuerBalance = (await token.balanceOf(issuer.address)) as bigint;
      const values = receivers.map(() => amount(issuerBalance / BigInt(receivers.length * 4)));
      await mined(as(token, issuer).batchTransfer(receivers, values));
      events += receivers.length;
    } else if (roll < 0.45) {
      const sender = pick(actives);
      const balance = (await token.balanceOf(sender.address)) as bigint;
      const receivers = Array.from({ length: 2 + Math.floor(next() * 10) }, () => pick(everyone)).filter(
        (receiver) => receiver !== sender.address.toLowerCase(),
      );
      const values = receivers.map(() => amount(balance / BigInt(receivers.length)));
      await mined(as(token, sender).batchTransfer(receivers, values));
      events += receivers.length;
    } else if (roll < 0.6) {
      const sender = pick(actives);
      const balance = (await token.balanceOf(sender.address)) as bigint;
      await mined(as(token, sender).transfer(pick(everyone), amount(balance)));
      events++;
    } else if (roll < 0.75) {
      const from = pick(passive);
      const balance = (await token.balanceOf(from)) as bigint;
      const to = pick(everyone.filter((address) => address !== from));
      await mined(as(token, issuer).forceTransfer(from, to, amount(balance), "lost key recovery"));
      events++;
    } else if (roll < 0.85) {
      const balance = (await token.balanceOf(issuer.address)) as bigint;
      await mined(as(token, issuer).burnTokens(amount(balance / 10n)));
      events++;
    } else if (roll < 0.92) {
      await mined(as(token, issuer).issueTokens(amount(10n ** 22n) + 1n));
      events++;
    } else {
      // Several transactions in one block: the order of events inside a block matters.
      await chain.rpc("evm_setAutomine", [false]);
      try {
        const sends: Promise<ContractTransactionResponse>[] = [];
        let nonce = await chain.provider.getTransactionCount(issuer.address, "pending");
        for (let i = 0; i < 3; i++) {
          const receiver = pick(passive);
          sends.push(as(token, issuer).batchTransfer([receiver, pick(passive)], [amount(10n ** 20n), amount(10n ** 20n)], { nonce: nonce++, gasLimit: 500_000 }));
          events += 2;
        }
        const from = pick(passive);
        sends.push(as(token, issuer).forceTransfer(from, issuer.address, 0n, "zero move", { nonce: nonce++, gasLimit: 500_000 }));
        events++;
        await Promise.all(sends);
        await chain.mine();
      } finally {
        await chain.rpc("evm_setAutomine", [true]);
      }
    }
    blocks.push(await chain.blockNumber());
  }
  return { holders: [issuer.address.toLowerCase(), ...everyone], blocks, events };
}

/** A random history on the plain OpenZeppelin ERC-20: open mints, burns and transfers. */
export async function plainTokenHistory(chain: ScanChain, token: Contract, options: HistoryOptions): Promise<History> {
  const next = seededRandom(options.seed);
  const actives = chain.wallets.slice(1, 6);
  const passive = randomAddresses(options.passiveHolders, next);
  const everyone = [...actives.map((wallet) => wallet.address.toLowerCase()), ...passive];
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const blocks: number[] = [await chain.blockNumber()];
  let events = 0;
  for (let op = 0; op < options.operations; op++) {
    const roll = next();
    if (roll < 0.4) {
      await mined(as(token, chain.wallets[0]).mint(pick(everyone), BigInt(Math.floor(next() * 1e9)) * 10n ** 12n));
    } else if (roll < 0.55) {
      const holder = pick(everyone);
      const balance = (await token.balanceOf(holder)) as bigint;
      await mined(as(token, chain.wallets[0]).burn(holder, balance / BigInt(1 + Math.floor(next() * 3))));
    } else {
      const sender = pick(actives);
      const balance = (await token.balanceOf(sender.address)) as bigint;
      await mined(as(token, sender).transfer(pick(everyone), balance / BigInt(1 + Math.floor(next() * 4))));
    }
    events++;
    blocks.push(await chain.blockNumber());
  }
  return { holders: everyone, blocks, events };
}

/** A fresh database file in a temporary directory (removed by cleanup, or else when the test file ends). */
export function tempDatabase(): { db: SqliteDatabase; file: string; dir: string; cleanup: () => void } {
  const dir = removeAfterFile(fs.mkdtempSync(path.join(os.tmpdir(), "sto-scan-")));
  const file = path.join(dir, "sto.sqlite");
  const db = openDatabase(file);
  return {
    db,
    file,
    dir,
    cleanup: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxiedRequest {
  method: string;
  /** Block count of an eth_getLogs. */
  blocks?: number;
  /** The proxy refused it (a limit, a rate limit or an outage). */
  refused?: boolean;
}

export interface LimitingProxy {
  url: string;
  requests: ProxiedRequest[];
  /** While down, every request gets HTTP 503. */
  down: boolean;
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy in front of the chain that behaves like a commercial provider: refuses
 * eth_getLogs over `maxBlocks` blocks (Ankr-style message) or answers with more than `maxResults`
 * logs (Infura-style -32005 with a suggested range), and answers every `failEvery`-th request with
 * HTTP 429. It forwards real requests to the real node; nothing is simulated but the limits.
 */
export async function startLimitingProxy(
  target: string,
  limits: { maxBlocks?: number; maxResults?: number; failEvery?: number; batches?: boolean },
): Promise<LimitingProxy> {
  const requests: ProxiedRequest[] = [];
  let count = 0;
  const state = { down: false };
  const forward = async (body: string) => {
    const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    return response.text();
  };
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      void (async () => {
        const parsed = JSON.parse(body) as { id: number; method: string; params: { fromBlock: string; toBlock: string }[] } | unknown[];
        count++;
        const method = Array.isArray(parsed) ? "batch" : parsed.method;
        if (state.down) {
          requests.push({ method, refused: true });
          response.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable");
          return;
        }
        if (limits.failEvery && count % limits.failEvery === 0) {
          requests.push({ method, refused: true });
          response.writeHead(429, { "content-type": "text/plain" }).end("Too Many Requests");
          return;
        }
        if (Array.isArray(parsed)) {
          requests.push({ method: "batch", refused: limits.batches === false });
          if (limits.batches === false) {
            response.writeHead(200, { "content-type": "application/json" }).end(
              JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } }),
            );
            return;
          }
          response.writeHead(200, { "content-type": "application/json" }).end(await forward(body));
          return;
        }
        if (parsed.method === "eth_getLogs") {
          const from = Number(parsed.params[0].fromBlock);
          const to = Number(parsed.params[0].toBlock);
          const blocks = to - from + 1;
          const entry: ProxiedRequest = { method: parsed.method, blocks };
          requests.push(entry);
          if (limits.maxBlocks && blocks > limits.maxBlocks) {
            entry.refused = true;
            response.writeHead(200, { "content-type": "application/json" }).end(
              JSON.stringify({ jsonrpc: "2.0", id: parsed.id, error: { code: -32600, message: "block range is too wide" } }),
            );
            return;
          }
          const answer = JSON.parse(await forward(body)) as { result?: unknown[] };
          if (limits.maxResults && Array.isArray(answer.result) && answer.result.length > limits.maxResults) {
            entry.refused = true;
            const suggestedTo = from + Math.max(0, Math.floor(blocks / 3) - 1);
            response.writeHead(200, { "content-type": "application/json" }).end(
              JSON.stringify({
                jsonrpc: "2.0",
                id: parsed.id,
                error: {
                  code: -32005,
                  message: `query returned more than ${limits.maxResults} results`,
                  data: { from: `0x${from.toString(16)}`, to: `0x${suggestedTo.toString(16)}` },
                },
              }),
            );
            return;
          }
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
          return;
        }
        requests.push({ method: parsed.method });
        response.writeHead(200, { "content-type": "application/json" }).end(await forward(body));
      })().catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy did not listen");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
