import type { Command } from "commander";
import { forgetNetwork } from "../../tx/forget-network";
import { action } from "../action";

export const DB_FORGET_NETWORK_DESCRIPTION = `Archive and forget this database's records of a network.

For a database whose network is now another chain: a restarted local chain ("sto node" starts a new
chain each time), or a node URL of another chain with the same chain id. sto notices it by the
chain's block 0 and stops every command until this is resolved: use another --database-file for
the new chain, or run this command.

It first copies the whole database to an archive: on SQLite a file beside it
(FILE.NETWORK-forgotten-TIME.sqlite, readable with --database-file); on PostgreSQL a schema of the
same database (sto_forgotten_NETWORK_TIME, a copy of every table, made in the same transaction as
the deletion). Then it deletes the network's transactions, signatures, accounts and
nonces, the distribution and payout payments that point at them, its scanned tokens and its
recorded chain id and genesis block. Other networks in the database are untouched. It does not
talk to the node; the next command records the chain it is connected to.`;

export function register(program: Command): void {
  program
    .command("db-forget-network")
    .description(DB_FORGET_NETWORK_DESCRIPTION)
    .action(
      action(async (ctx) => {
        const network = ctx.config.network.name;
        const db = await ctx.db();
        const forgotten = await forgetNetwork(db, network);
        ctx.out.info(db.engine === "sqlite" ? `Archived ${db.file} to ${forgotten.archive}` : `Archived database ${db.name} to its schema ${forgotten.archive}`);
        ctx.out.result(
          `Forgot network ${network}` +
            (forgotten.recorded ? ` (chain id ${forgotten.recorded.chainId}${forgotten.recorded.genesisHash ? `, block 0 ${forgotten.recorded.genesisHash}` : ""})` : "") +
            `: ${forgotten.transactions} transactions, ${forgotten.accounts} accounts, ${forgotten.distributionPayments + forgotten.payoutPayments} payments, ${forgotten.scannedTokens} scanned tokens`,
        );
        ctx.out.data({
          network,
          archive: forgotten.archive,
          chainId: forgotten.recorded?.chainId ?? null,
          genesisHash: forgotten.recorded?.genesisHash ?? null,
          transactions: forgotten.transactions,
          accounts: forgotten.accounts,
          distributionPayments: forgotten.distributionPayments,
          payoutPayments: forgotten.payoutPayments,
          scannedTokens: forgotten.scannedTokens,
        });
      }),
    );
}
