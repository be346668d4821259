import type { Command } from "commander";
import { parseAddress, prepareWhitelist, resolveKycAddress } from "../../token/kyc";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastCommand } from "./tx-broadcast";

export function register(program: Command): void {
  program
    .command("kyc-manage")
    .description(
      "Whitelist a address in KYC smart contract.\n\nPrepares the whitelisting and broadcasts it at once (with any other waiting transactions, in nonce order): no separate tx-broadcast is needed. Only the KYC contract's owner (or a whitelister) can whitelist.",
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
        if (addresses.length === 0) throw new Error("--whitelist-address: no address given");
        const kycAddress = resolveKycAddress(env, options.kycAddress);
        await prepareWhitelist(env, kycAddress, addresses);
        await broadcastCommand(ctx);
      }),
    );
}
