import type { Command } from "commander";
import { parseAddress } from "../../input/address";
import { prepareWhitelist, resolveKycAddress } from "../../token/kyc";
import { StoError } from "../../errors";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastCommand } from "./tx-broadcast";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("kyc-manage")
    .description(
      "Whitelist a address in KYC smart contract.\n\nPrepares the whitelisting and broadcasts it at once (only prepares when the key is not on this machine) (with any other waiting transactions, in nonce order): no separate tx-broadcast is needed. Only the KYC contract's owner (or a whitelister) can whitelist.",
    )
    .requiredOption("--whitelist-address <address>", "address to whitelist (several separated by commas)")
    .option("--kyc-address <address>", "KYC contract (default: the one kyc-deploy recorded in the database)")
    .action(
      action(async (ctx, options: { whitelistAddress: string; kycAddress?: string }) => {
        const env = await txEnvironment(ctx);
        const addresses = options.whitelistAddress
          .split(",")
          .filter((part) => part.trim() !== "")
          .map((part) => parseAddress(part, "--whitelist-address"));
        if (addresses.length === 0) throw new StoError("--whitelist-address: no address given");
        const kycAddress = await resolveKycAddress(env, options.kycAddress);
        const prepared = await prepareWhitelist(env, kycAddress, addresses);
        if (!(await ctx.account()).signer) {
          // Watch-only account: the key is elsewhere, so this can only prepare.
          ctx.out.info("Prepared (the key is not on this machine): sign with tx-export / tx-sign / tx-import, or export for a Safe");
          printTransactions(ctx.out, prepared);
          return;
        }
        await broadcastCommand(ctx);
      }),
    );
}
