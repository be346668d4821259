import { inArray } from "drizzle-orm";
import { ZeroAddress, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_PRIVATE_KEY, LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase, type SqliteDatabase } from "../../src/db/database";
import { preparedTransactions } from "../../src/db/schema";
import type { TxEnvironment } from "../../src/tx/environment";
import { prepareTransactions } from "../../src/tx/prepare";
import { startTestChain, type TestChain } from "../helpers/chain";
import { tempDir } from "../helpers/cli";

/** prepareTransactions builds the rows it returns from what it inserted: they must be the stored rows. */
describe("rows returned by prepareTransactions", () => {
  let chain: TestChain;
  let db: SqliteDatabase;
  let cleanup: () => void;
  beforeAll(async () => {
    chain = await startTestChain({ accounts: 2 });
    const temp = tempDir();
    cleanup = temp.cleanup;
    db = openDatabase(`${temp.dir}/transactions.sqlite`);
  });
  afterAll(async () => {
    db?.close();
    cleanup?.();
    await chain?.close();
  });

  it("equal the rows as the database holds them, for deployments, calls, payments and legacy fees", async () => {
    const debug: string[] = [];
    const env: TxEnvironment = {
      db,
      provider: chain.provider,
      network: "local",
      chainId: LOCAL_CHAIN_ID,
      address: new Wallet(DEVELOPMENT_PRIVATE_KEY).address,
      artifacts: new ContractArtifacts(),
      autoRestartNonce: true,
      debug: (message) => debug.push(message),
    };
    for (const fees of [{}, { gasPriceWei: 7_000_000_000n }]) {
      const prepared = await prepareTransactions({ ...env, ...fees }, (builder) => {
        const token = builder.deploy("SecurityToken", ["Rows", "RWS", "https://example.com", ZeroAddress], "Deploying");
        builder.call("SecurityToken", token, "issueTokens", [10n ** 21n], "Issuing");
        builder.call("SecurityToken", token, "transfer", [chain.signers[1].address, 5n], "Paying", {
          externalId: "row-1",
          receiver: chain.signers[1].address,
          value: 0n,
        });
      });
      const stored = db.orm
        .select()
        .from(preparedTransactions)
        .where(inArray(preparedTransactions.id, prepared.map((row) => row.id)))
        .orderBy(preparedTransactions.nonce)
        .all();
      expect(prepared).toStrictEqual(stored);
      expect(prepared).toHaveLength(3);
      // Built from the inserted values, not read back.
      expect(debug.filter((message) => /reading the prepared transactions back/.test(message))).toEqual([]);
    }
  });
});
