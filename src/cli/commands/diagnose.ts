import type { Command } from "commander";
import { describeNodeUrl } from "../../chain/rpc";
import { nextNonce } from "../../tx/nonces";
import { formatEth } from "../../tx/broadcast";
import { ledgerOf } from "../../tx/ledger";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("diagnose")
    .description(
      "Check your node and account status.\n\nPrints whether you are connected to the right Ethereum network, the broadcasting account, its Ether balance and nonces, and the transactions not yet final.",
    )
    .action(
      action(async (ctx) => {
        const chain = await ctx.chain();
        const signer = await ctx.account();
        const db = ctx.db();
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
          ["Database", db.file],
          ["Account", signer.address + (signer.signer?.isDevelopmentKey ? " (public development key)" : signer.signer ? "" : " (watch-only: key not on this machine)")],
          ["Balance", `${formatEth(balance)} ETH`],
          ["Network nonce (mined / pending)", `${networkNonce} / ${pendingNonce}`],
          ["Database next nonce", databaseNonce === undefined ? "(account not used yet)" : String(databaseNonce)],
          ["Transactions not final", String(unfinished.length)],
        ];
        ctx.out.table(["Check", "Value"], rows);
        if (balance === 0n) ctx.out.warn(`account ${signer.address} has no ETH to pay for transactions`);
        ctx.out.data({
          network,
          chainId: chain.chainId,
          node: describeNodeUrl(ctx.config.nodeUrl),
          blockNumber,
          database: db.file,
          address: signer.address,
          isDevelopmentKey: signer.signer?.isDevelopmentKey ?? false,
          watchOnly: !signer.signer,
          balanceWei: balance,
          networkNonce,
          pendingNonce,
          databaseNextNonce: databaseNonce ?? null,
          unfinishedTransactions: unfinished.length,
        });
      }),
    );
}
