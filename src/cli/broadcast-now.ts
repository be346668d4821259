import type { PreparedTransaction } from "../db/schema";
import type { CommandContext } from "./context";
import { broadcastCommand } from "./commands/tx-broadcast";
import { printTransactions } from "./tx-table";

/**
 * For commands that broadcast what they prepared at once (payout-approve, payout-deposit,
 * payout-claim, vote), like kyc-manage: sends the account's waiting transactions in nonce order, or,
 * for a watch-only account whose key is elsewhere, only shows what was prepared.
 */
export async function broadcastNow(ctx: CommandContext, prepared: PreparedTransaction[]): Promise<void> {
  if (!(await ctx.account()).signer) {
    ctx.out.info("Prepared (the key is not on this machine): sign with tx-export / tx-sign / tx-import, or export for a Safe");
    printTransactions(ctx.out, prepared);
    return;
  }
  await broadcastCommand(ctx);
}
