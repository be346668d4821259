import { eq } from "drizzle-orm";
import { ExitCode, StoError } from "../errors";
import type { StoDatabase } from "./database";
import { networks } from "./schema";

/**
 * A database remembers the chain id of each network name it was used with. Talking to a node of
 * another chain through the same database would mix two ledgers, so it stops here.
 */
export function checkNetworkChainId(db: StoDatabase, network: string, chainId: number): void {
  db.writeTransaction(() => {
    const recorded = db.orm.select().from(networks).where(eq(networks.name, network)).get();
    if (!recorded) {
      db.orm.insert(networks).values({ name: network, chainId }).run();
      return;
    }
    if (recorded.chainId !== chainId) {
      throw new StoError(
        `database ${db.file} belongs to network ${network} on chain id ${recorded.chainId}, but the node is on chain id ${chainId}: use another --database-file or the right node`,
        ExitCode.StateMismatch,
      );
    }
  });
}
