import type { Command } from "commander";
import { prepareForceTransfer } from "../../corporate/recovery/recovery";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface ForceTransferOptions {
  tokenAddress: string;
  from: string;
  to: string;
  amount: string;
  reason: string;
}

export function register(program: Command): void {
  program
    .command("force-transfer")
    .description(
      "Move shares without the holder's signature: recovery of shares from a lost private key, a court order, reversal of an unauthorised trade.\n\nPrepares token.forceTransfer(from, to, amount, reason). The transfer verifier is not consulted. The reason is emitted on chain (ForcedTransfer event) and kept in the audit database. Needs FORCE_TRANSFER_ROLE. Broadcast with tx-broadcast. For a restricted token, whitelist the new address too (kyc-manage).",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .requiredOption("--from <address>", "the address the shares are taken from (e.g. the lost key's)")
    .requiredOption("--to <address>", "the address receiving them (e.g. the holder's new key)")
    .requiredOption("--amount <amount>", 'number of shares as a decimal number, or "all" for the whole balance of --from')
    .requiredOption("--reason <text>", "why, for the record: emitted on chain and kept in the audit database")
    .action(
      action(async (ctx, options: ForceTransferOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const from = parseAddress(options.from, "--from");
        const to = parseAddress(options.to, "--to");
        const env = await txEnvironment(ctx);
        const result = await prepareForceTransfer(env, { tokenAddress, from, to, amount: options.amount, reason: options.reason });
        printPrepared(ctx.out, env.network, result.prepared, { tokenAddress, from, to, amount: result.amountText, amountUnits: result.amount.toString(), reason: options.reason.trim() }, result.warnings);
        ctx.out.result(`Moving ${result.amountText} ${result.symbol} from ${from} to ${to}`);
      }),
    );
}
