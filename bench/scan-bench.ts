/**
 * Scan and cap table benchmark on the embedded chain: `npx tsx bench/scan-bench.ts [events] [holders]`.
 * Creates a SecurityToken with `events` Transfer events (batch transfers) spread over `holders`
 * addresses, scans it into a fresh database file and times the cap table at a past block.
 */
import { performance } from "node:perf_hooks";
import { LOCAL_CHAIN_ID } from "../src/chain/local-node";
import { buildCapTable } from "../src/captable/captable";
import { RpcClient } from "../src/scan/rpc";
import { TokenScanner } from "../src/scan/scanner";
import { as } from "../test/helpers/chain";
import { deploySecurityToken, mined, random, randomAddresses, startScanChain, tempDatabase } from "../test/helpers/scan-fixtures";

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 100_000);
  const holderCount = Number(process.argv[3] ?? 10_000);
  const perTx = 400;
  const chain = await startScanChain();
  const issuer = chain.wallets[0];
  const token = await deploySecurityToken(chain, issuer);
  await mined(token.issueTokens(10n ** 30n));
  const holders = randomAddresses(holderCount, random(1));
  let created = 0;
  let t = performance.now();
  const pastBlocks: number[] = [];
  while (created < events) {
    const count = Math.min(perTx, events - created);
    const receivers = Array.from({ length: count }, (_, index) => holders[(created + index) % holders.length]);
    await mined(as(token, issuer).batchTransfer(receivers, receivers.map((_, index) => BigInt(index + 1) * 10n ** 15n), { gasLimit: 29_000_000 }));
    created += count;
    if (pastBlocks.length < 10 && created >= (events / 10) * (pastBlocks.length + 1)) pastBlocks.push(await chain.blockNumber());
  }
  console.log(`created ${created} events in ${((performance.now() - t) / 1000).toFixed(1)} s, chain at block ${await chain.blockNumber()}`);

  const temp = tempDatabase();
  try {
    t = performance.now();
    const result = await new TokenScanner(temp.db, new RpcClient(chain.url), {
      network: "local",
      chainId: LOCAL_CHAIN_ID,
      tokenAddress: await token.getAddress(),
    }).scan();
    const seconds = (performance.now() - t) / 1000;
    console.log(`scanned ${result.events} events in ${result.chunks} chunks: ${seconds.toFixed(2)} s, ${Math.round(result.events / seconds)} events/s`);

    const tokenAddress = await token.getAddress();
    for (const atBlock of [pastBlocks[4], undefined]) {
      const times: number[] = [];
      let holdersShown = 0;
      for (let run = 0; run < 5; run++) {
        t = performance.now();
        const table = buildCapTable(temp.db, { chainId: LOCAL_CHAIN_ID, tokenAddress, atBlock });
        times.push(performance.now() - t);
        holdersShown = table.holderCount;
      }
      console.log(`cap table at ${atBlock ?? "latest"}: ${holdersShown} holders, best ${Math.min(...times).toFixed(1)} ms, first ${times[0].toFixed(1)} ms`);
    }
  } finally {
    if (process.env.KEEP_DB) console.log("kept", temp.file); else temp.cleanup();
    await chain.close();
  }
}

void main();
