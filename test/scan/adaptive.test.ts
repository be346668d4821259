import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, StoError } from "../../src/errors";
import type { ScanOptions } from "../../src/scan/scanner";
import type { RetryPolicy } from "../../src/chain/rpc";
import {
  deploySecurityToken,
  securityTokenHistory,
  startLimitingProxy,
  startScanChain,
  tempDatabase,
  type LimitingProxy,
  type ScanChain,
  localScanner,
} from "../helpers/scan-fixtures";
import { expectDatabaseIsTheChain } from "../helpers/scan-expect";
import { startRpcProxy } from "../helpers/rpc-proxy";

let chain: ScanChain;
const proxies: LimitingProxy[] = [];
beforeAll(async () => {
  chain = await startScanChain();
});
afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await chain?.close();
});

function scanner(url: string, db: ReturnType<typeof tempDatabase>["db"], tokenAddress: string, extra: Partial<ScanOptions> & { retry?: Partial<RetryPolicy> } = {}) {
  return localScanner(url, db, tokenAddress, { retry: { attempts: 4, baseDelayMs: 2, maxDelayMs: 10 }, ...extra });
}

describe("token-scan against a node with provider limits", () => {
  it("shrinks ranges the node refuses, learns a range limit, retries rate limits and reads headers without batches", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const history = await securityTokenHistory(chain, token, { seed: 51, operations: 40, passiveHolders: 20 });
    await chain.mine(300); // an empty stretch for the range to grow over
    const proxy = await startLimitingProxy(chain.url, { maxBlocks: 40, maxResults: 60, failEvery: 9, batches: false });
    proxies.push(proxy);
    const notices: string[] = [];
    const temp = tempDatabase();
    try {
      const result = await scanner(proxy.url, temp.db, await token.getAddress(), { onNotice: (notice) => notices.push(notice) }).scan();
      expect(result.events).toBe(history.events);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, history.blocks.filter((_, index) => index % 5 === 0));

      const getLogs = proxy.requests.filter((request) => request.method === "eth_getLogs");
      expect(getLogs.some((request) => request.refused && (request.blocks ?? 0) > 40)).toBe(true);
      expect(proxy.requests.some((request) => request.refused && request.method !== "batch")).toBe(true);
      // Once the range limit is known the scan stays under it, apart from a few probes near it.
      const firstRangeRefusal = getLogs.findIndex((request) => request.refused && (request.blocks ?? 0) > 40);
      const overLimitLater = getLogs.slice(firstRangeRefusal + 1).filter((request) => (request.blocks ?? 0) > 40);
      expect(overLimitLater.length).toBeLessThanOrEqual(6);
      expect(notices.join("\n")).toMatch(/does not accept JSON-RPC batches/);
    } finally {
      temp.cleanup();
    }
  });

  // geth answers a batch above its limit with one "batch too large" error: the scanner's header and
  // code reads go through batchedReads, which asks those requests again alone (before, the scan
  // stopped on the batch's error).
  it("reads headers and code from a node that limits the size of a batch, as geth does", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const history = await securityTokenHistory(chain, token, { seed: 53, operations: 12, passiveHolders: 6 });
    const proxy = await startRpcProxy(chain.url);
    proxy.setBatchPolicy({ maxSize: 3 });
    const temp = tempDatabase();
    try {
      const result = await scanner(proxy.url, temp.db, await token.getAddress()).scan();
      expect(result.events).toBe(history.events);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, history.blocks.filter((_, index) => index % 3 === 0));
      expect(proxy.stats.calls.eth_getBlockByNumber ?? 0).toBeGreaterThan(0);
      expect(proxy.stats.methods["batch:eth_getBlockByNumber"] ?? 0).toBeGreaterThan(0);
    } finally {
      temp.cleanup();
      await proxy.close();
    }
  });

  it("stops with a resumable error when the node stays down, and the next run continues", async () => {
    const token = await deploySecurityToken(chain, chain.wallets[0]);
    const history = await securityTokenHistory(chain, token, { seed: 61, operations: 20, passiveHolders: 10 });
    const proxy = await startLimitingProxy(chain.url, {});
    proxies.push(proxy);
    const temp = tempDatabase();
    try {
      let chunks = 0;
      const failing = scanner(proxy.url, temp.db, await token.getAddress(), {
        blockRange: { initial: 4, max: 4 },
        afterChunk: async () => {
          if (++chunks === 2) proxy.down = true;
        },
      });
      const error = await failing.scan().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StoError);
      expect((error as StoError).exitCode).toBe(ExitCode.Network);
      expect((error as StoError).message).toMatch(/HTTP 503.*blocks up to \d+ are saved: run token-scan again to resume/);
      const saved = temp.db.sqlite.prepare("SELECT scanned_to_block AS block FROM scanned_tokens").get() as { block: number };
      expect(saved.block).toBeGreaterThan(0);

      proxy.down = false;
      const resumed = await scanner(proxy.url, temp.db, await token.getAddress()).scan();
      expect(resumed.fromBlock).toBe(saved.block + 1);
      await expectDatabaseIsTheChain(chain, temp.db, token, history.holders, [history.blocks[3], history.blocks[history.blocks.length - 1]]);
    } finally {
      temp.cleanup();
    }
  });
});
