import type { Command } from "commander";
import { createAccount } from "../../chain/accounts";
import { action } from "../action";

export function register(program: Command): void {
  program
    .command("ethereum-create-account")
    .description(
      "Creates a new Ethereum account.\n\nPrints the address and the private key once; store the key safely (a password manager or, better, use --keystore). sto never stores it.",
    )
    .option("--keystore <file>", "write the key to an encrypted JSON keystore instead of printing it (password from STO_KEYSTORE_PASSWORD)")
    .action(
      action(async (ctx, options: { keystore?: string }) => {
        const account = await createAccount({ keystoreFile: options.keystore });
        ctx.out.info("Creating new Ethereum account.");
        ctx.out.result(`Account address: ${account.address}`);
        if (account.keystoreFile) {
          ctx.out.result(`Encrypted keystore written to ${account.keystoreFile}`);
        } else {
          ctx.out.result(`Account private key: ${account.privateKey.reveal().slice(2)}`);
        }
        ctx.out.data({
          address: account.address,
          keystoreFile: account.keystoreFile ?? null,
          privateKey: account.keystoreFile ? null : account.privateKey.reveal().slice(2),
        });
      }, { keystoreFile: "--keystore" }),
    );
}
