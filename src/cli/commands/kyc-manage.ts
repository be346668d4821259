import type { Command } from "commander";
import { parseAddress } from "../../input/address";
import { prepareWhitelist, resolveKycAddress, type InvestorEntry } from "../../token/kyc";
import { countryName, INVESTOR_CLASSES, investorClassName, parseCountry, parseInvestorClass } from "../../compliance/rules";
import { formatTime, parseFutureTime } from "../../input/dates";
import { StoError } from "../../errors";
import { action } from "../action";
import { chainNow, txEnvironment } from "../tx-env";
import { broadcastCommand } from "./tx-broadcast";
import { printTransactions } from "../tx-table";

export function register(program: Command): void {
  program
    .command("kyc-manage")
    .description(
      "Whitelist an address in the KYC smart contract.\n\nPrepares the whitelisting and broadcasts it at once (only prepares when the key is not on this machine) (with any other waiting transactions, in nonce order): no separate tx-broadcast is needed. Only the KYC contract's owner (or a whitelister) can whitelist. With --investor-class, --kyc-expires or --country the whole entry is set (setInvestor): an option left out is recorded as none (no class, no country, never expires).",
    )
    .requiredOption("--whitelist-address <address>", "address to whitelist (several separated by commas)")
    .option("--kyc-address <address>", "KYC contract (default: the one kyc-deploy recorded in the database)")
    .option("--investor-class <class>", `investor class: ${Object.keys(INVESTOR_CLASSES).join(", ")} or a number 1-31 (read by kyc tokens)`)
    .option("--kyc-expires <date>", "the KYC check expires at this date (ISO 8601 date or date-time, or a duration like 365d); from then on a kyc token sends nothing to the address")
    .option("--country <code>", "the investor's country, ISO 3166-1 (e.g. DE, US or 276)")
    .action(
      action(async (ctx, options: { whitelistAddress: string; kycAddress?: string; investorClass?: string; kycExpires?: string; country?: string }) => {
        const env = await txEnvironment(ctx);
        let entry: InvestorEntry | undefined;
        if (options.investorClass !== undefined || options.kycExpires !== undefined || options.country !== undefined) {
          const now = await chainNow(env);
          const investorClass = options.investorClass === undefined ? 0 : parseInvestorClass(options.investorClass, "--investor-class");
          const country = options.country === undefined ? 0 : parseCountry(options.country, "--country");
          const expiresAt = options.kycExpires === undefined ? 0 : parseFutureTime(options.kycExpires, "--kyc-expires", now);
          if (expiresAt > 2 ** 40 - 1) throw new StoError("--kyc-expires: too far in the future");
          const description = [
            `class ${investorClassName(investorClass)}`,
            `country ${country === 0 ? "none" : countryName(country)}`,
            expiresAt === 0 ? "KYC never expires" : `KYC expires ${formatTime(expiresAt)}`,
          ].join(", ");
          entry = { investorClass, country, expiresAt, description };
        }
        const addresses = options.whitelistAddress
          .split(",")
          .filter((part) => part.trim() !== "")
          .map((part) => parseAddress(part, "--whitelist-address"));
        if (addresses.length === 0) throw new StoError("--whitelist-address: no address given");
        const kycAddress = await resolveKycAddress(env, options.kycAddress);
        const prepared = await prepareWhitelist(env, kycAddress, addresses, entry);
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
