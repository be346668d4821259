import type { Command } from "commander";
import { parseCount, parseCountries, parseInvestorClasses, requireUint32Time } from "../../compliance/rules";
import { prepareRuleChanges } from "../../compliance/service";
import { parseTokenAmount } from "../../input/amounts";
import { parseFutureTime } from "../../input/dates";
import { parseAddress } from "../../input/address";
import { action } from "../action";
import { chainNow, txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface ComplianceSetOptions {
  tokenAddress: string;
  maxSupply?: string;
  maxHolders?: string;
  maxBalance?: string;
  investorClasses?: string;
  refuseCountries?: string;
  allowCountries?: string;
  releaseTime?: string;
}

export function register(program: Command): void {
  program
    .command("compliance-set")
    .description(
      "Change the compliance rules of a security token (docs/compliance.md).\n\nPrepares one transaction per rule changed (setMaxSupply, setHolderLimits, setAllowedInvestorClasses, setCountriesRefused, setReleaseTime), each with a note saying what changes from what; needs COMPLIANCE_ROLE. The max supply can only be lowered and the release time only brought forward. Broadcast with tx-broadcast.",
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .option("--max-supply <shares>", "lower the cap on the total supply")
    .option("--max-holders <count>", "holder limit, 0 = none (only on a token that counts holders)")
    .option("--max-balance <shares>", "maximum balance per holder, 0 = none")
    .option("--investor-classes <list>", "kyc: classes that may receive, e.g. accredited,institutional; \"any\" for all")
    .option("--refuse-countries <list>", "kyc: refuse receivers from these countries (ISO 3166-1, e.g. US,CA)")
    .option("--allow-countries <list>", "kyc: stop refusing these countries")
    .option("--release-time <date>", "time-locked: bring the release time forward (ISO 8601 date or date-time, or a duration like 30d)")
    .action(
      action(async (ctx, options: ComplianceSetOptions) => {
        const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
        const env = await txEnvironment(ctx);
        const now = await chainNow(env);
        const classes = options.investorClasses?.trim().toLowerCase() === "any" ? 0 : options.investorClasses;
        const result = await prepareRuleChanges(env, tokenAddress, {
          maxSupply: options.maxSupply === undefined ? undefined : parseTokenAmount(options.maxSupply, 18, "--max-supply"),
          maxHolders: options.maxHolders === undefined ? undefined : parseCount(options.maxHolders, "--max-holders"),
          maxBalance: options.maxBalance === undefined ? undefined : parseTokenAmount(options.maxBalance, 18, "--max-balance"),
          investorClasses: classes === undefined ? undefined : typeof classes === "number" ? classes : parseInvestorClasses(classes, "--investor-classes"),
          refuseCountries: options.refuseCountries === undefined ? undefined : parseCountries(options.refuseCountries, "--refuse-countries"),
          allowCountries: options.allowCountries === undefined ? undefined : parseCountries(options.allowCountries, "--allow-countries"),
          releaseTime:
            options.releaseTime === undefined ? undefined : requireUint32Time(parseFutureTime(options.releaseTime, "--release-time", now), "--release-time"),
        });
        printPrepared(ctx.out, env.network, result.prepared, { tokenAddress });
        ctx.out.result(`Changing ${result.prepared.length} compliance rule${result.prepared.length === 1 ? "" : "s"} of ${result.symbol}`);
      }),
    );
}
