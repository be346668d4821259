import { JsonRpcProvider, Wallet, type TransactionRequest } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase, type StoDatabase } from "../../src/db/database";
import { prepareDistribution, readDistributionCsv, type DistributionResult } from "../../src/distribution";
import type { TxEnvironment } from "../../src/tx/environment";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { EXAMPLE_CSV, issueToken } from "./helpers";

/** Lets `count` callers through together: each waits in arrive() until all have arrived. */
class Barrier {
  arrived = 0;
  private release!: () => void;
  private readonly all = new Promise<void>((resolve) => (this.release = resolve));
  constructor(private readonly count: number) {}
  async arrive(): Promise<void> {
    this.arrived += 1;
    if (this.arrived === this.count) this.release();
    await this.all;
  }
}

/**
 * A node connection that holds the first gas estimate of each preparer at a barrier. A
 * distribution estimates once it has looked for earlier payments and planned its rows, just
 * before preparing: so both preparers have found no earlier payment when either writes.
 */
class MeetingProvider extends JsonRpcProvider {
  private estimated = false;
  constructor(url: string, private readonly barrier: Barrier) {
    super(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  }
  override async estimateGas(transaction: TransactionRequest): Promise<bigint> {
    if (!this.estimated) {
      this.estimated = true;
      await this.barrier.arrive();
    }
    return super.estimateGas(transaction);
  }
}

/**
 * Two preparers on one database file planning the same distribution at the same moment, in one
 * process, made to overlap by the barrier above: both find no earlier payment, one writes, the
 * other's write trips the unique index on active payments, and it plans again and finds everything
 * prepared.
 */
describe("two distributions of the same rows racing", () => {
  let world: E2eWorld;
  const databases: StoDatabase[] = [];
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    for (const db of databases) db.close();
    await world.close();
  });

  it("pays each external_id once; the loser plans again", async () => {
    const tokenAddress = await issueToken(world);
    const rows = readDistributionCsv(EXAMPLE_CSV);
    const barrier = new Barrier(2);
    const environment = (logs: string[]): TxEnvironment => {
      const db = openDatabase(world.databaseFile);
      databases.push(db);
      return {
        db,
        provider: new MeetingProvider(world.chain.url, barrier),
        network: "local",
        chainId: 31337,
        address: new Wallet(DEVELOPMENT_PRIVATE_KEY).address,
        artifacts: new ContractArtifacts(),
        autoRestartNonce: true,
        debug: (message) => logs.push(message),
      };
    };
    const logs: string[][] = [[], []];
    const envs = logs.map(environment);
    const results: DistributionResult[] = await Promise.all(
      envs.map((env) => prepareDistribution(env, { tokenAddress, rows, origin: { kind: "csv", file: EXAMPLE_CSV } })),
    );
    for (const env of envs) env.provider.destroy();

    expect(barrier.arrived).toBe(2);
    expect(results.map((result) => result.newRows).sort()).toEqual([0, rows.length]);
    expect(results.map((result) => result.alreadyPreparedRows).sort()).toEqual([0, rows.length]);
    const loser = results.findIndex((result) => result.newRows === 0);
    expect(logs[loser]).toContain("another sto process prepared payments of this distribution at the same time: planning again");
    expect(logs[1 - loser].filter((message) => /planning again/.test(message))).toEqual([]);
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM distribution_payments")[0].n).toBe(rows.length);
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions WHERE function_signature = 'transfer(address,uint256)'")[0].n).toBe(rows.length);
  });
});
