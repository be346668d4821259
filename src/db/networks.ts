import { ExitCode, StoError } from "../errors";
import type { StoDatabase } from "./database";

/**
 * A database remembers the chain id of each network name it was used with, and the hash of that
 * chain's block 0. Talking to a node of another chain through the same database would mix two
 * ledgers, so it stops here: another chain id, or the same chain id with another genesis block (a
 * restarted local chain, a wrong URL of a chain with the same id). `genesisHash` is null when the
 * node cannot tell (then nothing is recorded or compared); a database recorded before genesis
 * hashes were kept gets it on its next connection.
 */
export async function checkNetworkChainId(db: StoDatabase, network: string, chainId: number, genesisHash: string | null = null): Promise<void> {
  await db.write(async (sql) => {
    const recorded = await sql.get<{ chainId: number; genesisHash: string | null }>(
      'SELECT chain_id AS "chainId", genesis_hash AS "genesisHash" FROM networks WHERE name = ?',
      [network],
    );
    if (!recorded) {
      // Another process may record it at the same moment: the first one's row stays, and is checked next time.
      await sql.run("INSERT INTO networks (name, chain_id, genesis_hash) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", [network, chainId, genesisHash]);
      return;
    }
    if (recorded.chainId !== chainId) {
      throw new StoError(
        (name) =>
          `database ${db.name} belongs to network ${network} on chain id ${recorded.chainId}, but the node is on chain id ${chainId}: use another ${name("databaseFile")} or the right node`,
        ExitCode.StateMismatch,
      );
    }
    if (genesisHash === null) return;
    if (recorded.genesisHash === null) {
      await sql.run("UPDATE networks SET genesis_hash = ? WHERE name = ?", [genesisHash, network]);
      return;
    }
    if (recorded.genesisHash !== genesisHash) {
      throw new StoError(
        (name) =>
          `database ${db.name} belongs to network ${network} on a chain whose block 0 is ${recorded.genesisHash}, but the node's block 0 is ${genesisHash}: ` +
          `it is another chain with the same chain id ${chainId} (a restarted local chain, or a wrong ethereum-node-url); the contracts, nonces and transactions this database remembers are not on it. ` +
          `Use another ${name("databaseFile")} for this chain, or run "sto db-forget-network" to archive this network's records and start afresh (see docs/troubleshooting.md)`,
        ExitCode.StateMismatch,
      );
    }
  });
}
