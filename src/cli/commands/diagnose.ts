import type { Command } from "commander";
import { describeNodeUrl } from "../../chain/rpc";
import { nextNonce } from "../../tx/nonces";
import { formatEth } from "../../tx/broadcast";
import { ledgerOf } from "../../tx/ledger";
import { findDisagreements } from "../../tx/diagnose";
import { ExitCode, renderFieldText, StoError } from "../../errors";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("diagnose")
    .description(
      "Check your node and account status.\n\nPrints whether you are connected to the right Ethereum network, the broadcasting account, its Ether balance and nonces, and the transactions not yet final. Then flags every disagreement between the database and the node it can see — another chain behind the same chain id (block 0 differs), nonces, contracts the database deployed without code on chain, mined transactions whose block the node does not have, sent transactions the node does not know — each with the command that resolves it, and exits with status 4 when there is one.",
    )
    .action(
      action(async (ctx) => {
        // Not ctx.chain(): a database of another chain is reported below, not a reason to stop.
        const chain = await ctx.uncheckedChain();
        const signer = await ctx.account();
        const db = await ctx.db();
        const network = ctx.config.network.name;
        const [blockNumber, balance, networkNonce, pendingNonce] = await Promise.all([
          chain.provider.getBlockNumber(),
          chain.provider.getBalance(signer.address),
          chain.provider.getTransactionCount(signer.address, "latest"),
          chain.provider.getTransactionCount(signer.address, "pending"),
        ]);
        const databaseNonce = await nextNonce({ db, network, chainId: chain.chainId, address: signer.address });
        const unfinished = await ledgerOf(db).unfinishedTransactions(network, signer.address);
        const rows: [string, string][] = [
          ["Network", `${network} (chain id ${chain.chainId})`],
          ["Node", describeNodeUrl(ctx.config.nodeUrl)],
          ["Latest block", String(blockNumber)],
          ["Database", db.name],
          ["Account", signer.address + (signer.signer?.isDevelopmentKey ? " (public development key)" : signer.signer ? "" : " (watch-only: key not on this machine)")],
          ["Balance", `${formatEth(balance)} ETH`],
          ["Network nonce (mined / pending)", `${networkNonce} / ${pendingNonce}`],
          ["Database next nonce", databaseNonce === undefined ? "(account not used yet)" : String(databaseNonce)],
          ["Transactions not final", String(unfinished.length)],
        ];
        const disagreements = await findDisagreements({
          db,
          node: chain.transport,
          network,
          chainId: chain.chainId,
          genesisHash: chain.genesisHash,
          address: signer.address,
          networkNonce,
          pendingNonce,
          databaseNonce,
        });
        rows.push(["Database and chain", disagreements.length === 0 ? "agree" : `${disagreements.length} disagreement(s), see below`]);
        ctx.out.table(["Check", "Value"], rows);
        if (balance === 0n) ctx.out.warn(`account ${signer.address} has no ETH to pay for transactions`);
        const rendered = disagreements.map((item) => ({ ...item, resolve: renderFieldText(item.resolve, ctx.out.fieldNames) }));
        for (const item of rendered) ctx.out.warn(`disagreement (${item.kind}): ${item.message}; resolve with: ${item.resolve}`);
        ctx.out.data({
          network,
          chainId: chain.chainId,
          node: describeNodeUrl(ctx.config.nodeUrl),
          blockNumber,
          database: db.name,
          address: signer.address,
          isDevelopmentKey: signer.signer?.isDevelopmentKey ?? false,
          watchOnly: !signer.signer,
          balanceWei: balance,
          networkNonce,
          pendingNonce,
          databaseNextNonce: databaseNonce ?? null,
          unfinishedTransactions: unfinished.length,
          disagreements: rendered,
        });
        if (disagreements.length > 0) {
          throw new StoError(`the database and the node disagree (${disagreements.length}): see the lines above`, ExitCode.StateMismatch);
        }
      }),
    );
}
