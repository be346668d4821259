import type { Command } from "commander";
import { parseTokenAmount } from "../../input/amounts";
import { parseRestriction, prepareIssue, type IssueCompliance } from "../../token/issuance";
import { parseCount, parseCountries, parseInvestorClasses, requireUint32Time } from "../../compliance/rules";
import { parseFutureTime } from "../../input/dates";
import { action } from "../action";
import { chainNow, txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface IssueOptions {
  symbol: string;
  name: string;
  url?: string;
  amount: string;
  transferRestriction?: string;
  kycAddress?: string;
  maxSupply?: string;
  releaseTime?: string;
  maxHolders?: string;
  maxBalance?: string;
  investorClasses?: string;
  refusedCountries?: string;
}

export function register(program: Command): void {
  program
    .command("issue")
    .description(
      "Issue out a new security token.\n\n* Creates a new share series\n* Allocates all new shares to the management account\n* Sets the share transfer restriction mode\n\nPrepares the transactions (deploy the token's code extension unless this network has one, deploy the token, deploy a transfer agent and set it as the token's verifier (not for kyc), set the compliance rules when a mode other than unrestricted/restricted or a rule is given, issue the initial shares); broadcast them with tx-broadcast. Restricted and kyc modes need a KYC contract (sto kyc-deploy). Rules: docs/compliance.md.",
    )
    .requiredOption("--symbol <symbol>", "ticker symbol")
    .requiredOption("--name <name>", "name of the share series")
    .option("--url <url>", "URL with information about the issuer (default: none, as in the manual's restricted-mode tutorial)")
    .requiredOption("--amount <shares>", "number of initial shares (a decimal number; 18 decimals)")
    .option(
      "--transfer-restriction <mode>",
      "unrestricted (default), restricted (both parties whitelisted in KYC), kyc (receiver listed, KYC not expired, class and country allowed), soul-bound (holders cannot transfer) or time-locked (no holder transfers before --release-time)",
      "unrestricted",
    )
    .option("--kyc-address <address>", "KYC contract for restricted and kyc modes (default: the one kyc-deploy recorded)")
    .option("--max-supply <shares>", "cap on the total supply (can be lowered later, never raised)")
    .option("--release-time <date>", "time-locked: holders may transfer from this date (ISO 8601 date or date-time, or a duration like 180d)")
    .option("--max-holders <count>", "maximum number of holders (non-zero balances); holders are counted only when this is given (0 = count, no limit yet)")
    .option("--max-balance <shares>", "maximum balance per holder (the issuer is exempt)")
    .option("--investor-classes <list>", "kyc: investor classes that may receive, e.g. accredited,institutional (default: any)")
    .option("--refused-countries <list>", "kyc: receivers from these countries are refused, ISO 3166-1 codes, e.g. US,CA")
    .action(
      action(async (ctx, options: IssueOptions) => {
        const restriction = parseRestriction(options.transferRestriction);
        const amount = parseTokenAmount(options.amount, 18, "--amount");
        const env = await txEnvironment(ctx);
        const now = await chainNow(env);
        const compliance: IssueCompliance = {
          maxSupply: options.maxSupply === undefined ? undefined : parseTokenAmount(options.maxSupply, 18, "--max-supply"),
          releaseTime:
            options.releaseTime === undefined
              ? undefined
              : requireUint32Time(parseFutureTime(options.releaseTime, "--release-time", now), "--release-time"),
          maxHolders: options.maxHolders === undefined ? undefined : parseCount(options.maxHolders, "--max-holders"),
          maxBalance: options.maxBalance === undefined ? undefined : parseTokenAmount(options.maxBalance, 18, "--max-balance"),
          investorClasses: options.investorClasses === undefined ? undefined : parseInvestorClasses(options.investorClasses, "--investor-classes"),
          refusedCountries: options.refusedCountries === undefined ? undefined : parseCountries(options.refusedCountries, "--refused-countries"),
        };
        const result = await prepareIssue(env, {
          compliance,
          name: options.name,
          symbol: options.symbol,
          url: options.url,
          amount,
          amountText: options.amount.trim(),
          restriction,
          kycAddress: options.kycAddress,
        });
        printPrepared(ctx.out, env.network, result.prepared, {
          tokenAddress: result.tokenAddress,
          transferAgentAddress: result.transferAgentAddress,
          kycAddress: result.kycAddress ?? null,
        }, result.warnings);
        ctx.out.result(`Token address will be ${result.tokenAddress}`);
      }, { restriction: "--transfer-restriction" }),
    );
}
