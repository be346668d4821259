import type { PreparedTransaction } from "../db/schema";
import { InputError, type FieldText } from "../input/fields";
import { validateText } from "../input/text";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactions } from "../tx/prepare";
import { isWhitelisted, resolveKycAddress, WHITELISTING_FUNCTIONS } from "./kyc";
import { TOKEN_FALLBACK_GAS } from "./gas";
import { ledgerOf } from "../tx/ledger";
import { contractAt, tryView } from "./onchain";
import { ZeroAddress } from "ethers";
import { formatTokenAmount } from "../input/amounts";
import { amountOf } from "../input/words";
import { formatTime } from "../input/dates";
import { classNames, countryName, MODE, modeOf, type TransferRestriction } from "../compliance/rules";

export { parseRestriction, type TransferRestriction } from "../compliance/rules";

export interface IssueRequest {
  name: string;
  symbol: string;
  /** Where the issuer publishes information; the token records "" when there is none. */
  url?: string;
  /** Initial shares in base units (18 decimals). */
  amount: bigint;
  /** The amount as the user wrote it, for notes. */
  amountText: string;
  restriction: TransferRestriction;
  kycAddress?: string;
  /** Compliance rules chosen at issue (docs/compliance.md); none set = initializeCompliance is not called. */
  compliance?: IssueCompliance;
}

export interface IssueCompliance {
  /** Cap on the total supply in base units. */
  maxSupply?: bigint;
  /** time-locked: no holder transfers before this unix time. */
  releaseTime?: number;
  /** Holder limit (holders are counted when it is given, also 0 = count without a limit yet). */
  maxHolders?: bigint;
  /** Max balance per holder in base units. */
  maxBalance?: bigint;
  /** kyc: bit set of the investor classes that may receive (0 = any). */
  investorClasses?: number;
  /** kyc: ISO 3166-1 numeric codes of refused countries. */
  refusedCountries?: number[];
}

export interface IssueResult {
  tokenAddress: string;
  transferAgentAddress: string;
  kycAddress?: string;
  prepared: PreparedTransaction[];
  warnings: FieldText[];
}

/** Refuses rules that do not fit the mode, before anything is prepared. */
function checkCompliance(request: IssueRequest): void {
  const rules = request.compliance ?? {};
  const mode = request.restriction;
  const onlyFor = (field: string, wanted: TransferRestriction) => new InputError(field, (name) => `${name(field)}: only for ${name("restriction")} ${wanted}`);
  if (mode !== "kyc" && rules.investorClasses !== undefined) throw onlyFor("investorClasses", "kyc");
  if (mode !== "kyc" && rules.refusedCountries !== undefined) throw onlyFor("refusedCountries", "kyc");
  if (mode === "time-locked" && rules.releaseTime === undefined) {
    throw new InputError("releaseTime", (name) => `${name("releaseTime")}: required with ${name("restriction")} time-locked`);
  }
  if (mode !== "time-locked" && rules.releaseTime !== undefined) throw onlyFor("releaseTime", "time-locked");
  if (rules.maxSupply !== undefined) {
    if (rules.maxSupply === 0n) throw new InputError("maxSupply", "must be more than 0");
    if (request.amount > rules.maxSupply) throw new InputError("amount", (name) => `${name("amount")}: ${request.amountText} is more than ${name("maxSupply")}`);
  }
  if (rules.maxBalance !== undefined && rules.maxBalance > 2n ** 128n - 1n) throw new InputError("maxBalance", "too large");
}

/** Whether the token needs initializeCompliance (a mode other than the verifier's, or any rule). */
function needsCompliance(request: IssueRequest): boolean {
  const rules = request.compliance ?? {};
  return modeOf(request.restriction) !== MODE.verifier || Object.values(rules).some((value) => value !== undefined);
}

/** The notes' summary of the rules set at issue. */
function describeCompliance(request: IssueRequest): string {
  const rules = request.compliance ?? {};
  const parts = [`mode ${request.restriction}`];
  if (rules.maxSupply !== undefined) parts.push(`max supply ${formatTokenAmount(rules.maxSupply, 18)}`);
  if (rules.releaseTime !== undefined) parts.push(`release time ${formatTime(rules.releaseTime)}`);
  if (rules.maxHolders !== undefined) parts.push(rules.maxHolders === 0n ? "holders counted" : `max holders ${rules.maxHolders}`);
  if (rules.maxBalance !== undefined) parts.push(`max balance ${formatTokenAmount(rules.maxBalance, 18)}`);
  if (rules.investorClasses !== undefined) parts.push(`investor classes ${classNames(rules.investorClasses).join(",")}`);
  return parts.join(", ");
}

/**
 * Prepares a new share series: deploy the token (sharing the code extension of an earlier token of
 * this network, or creating its own), deploy its transfer agent, make the agent the token's transfer
 * verifier, and issue the initial shares to the broadcasting account.
 */
export async function prepareIssue(env: TxEnvironment, request: IssueRequest): Promise<IssueResult> {
  validateText(request.name, "name", 100);
  validateText(request.symbol, "symbol", 16);
  if (request.url !== undefined) validateText(request.url, "url", 500);
  checkCompliance(request);
  const warnings: FieldText[] = [];
  const kycAddress = request.restriction === "restricted" || request.restriction === "kyc" ? await resolveKycAddress(env, request.kycAddress) : undefined;
  if (kycAddress && request.restriction === "restricted") {
    const whitelisted = await isWhitelisted(env, kycAddress, env.address);
    if (whitelisted === false && !(await hasPendingWhitelist(env, kycAddress))) {
      warnings.push(
        (name) =>
          `the issuing account ${env.address} is not whitelisted in KYC contract ${kycAddress}: it will hold the shares but cannot distribute them until "sto kyc-manage ${name("kyc-manage:whitelistAddress")}=${env.address}"`,
      );
    }
  }
  let tokenAddress = "";
  let transferAgentAddress = "";
  const existingExtension = await deployedExtension(env);
  const prepared = await prepareTransactions(env, (builder) => {
    // The cold half of the token's code (docs/contracts.md): the first token of a network creates
    // one, later tokens share it.
    const extension = existingExtension ?? ZeroAddress;
    tokenAddress = builder.deploy("SecurityToken", [request.name, request.symbol, request.url ?? "", extension], `Token contract for ${request.name}`);
    // A kyc token reads the investor registry instead of a transfer verifier.
    if (request.restriction !== "kyc") {
      transferAgentAddress =
        request.restriction === "restricted" && kycAddress
          ? builder.deploy("RestrictedTransferAgent", [kycAddress], `Restricted transfer agent for ${request.name}`)
          : builder.deploy("UnrestrictedTransferAgent", [], `Unrestricted transfer agent for ${request.name}`);
      builder.call("SecurityToken", tokenAddress, "setTransferVerifier", [transferAgentAddress], `Setting security token transfer agent for ${request.name}`);
    }
    if (needsCompliance(request)) {
      const rules = request.compliance ?? {};
      builder.call(
        "SecurityToken",
        tokenAddress,
        "initializeCompliance",
        [
          modeOf(request.restriction),
          request.restriction === "kyc" ? kycAddress : ZeroAddress,
          rules.maxSupply ?? 0n,
          rules.investorClasses ?? 0,
          rules.releaseTime ?? 0,
          rules.maxHolders !== undefined,
          rules.maxHolders ?? 0n,
          rules.maxBalance ?? 0n,
        ],
        `Compliance rules for ${request.name}: ${describeCompliance(request)}`,
      );
      if (rules.refusedCountries && rules.refusedCountries.length > 0) {
        builder.call(
          "SecurityToken",
          tokenAddress,
          "setCountriesRefused",
          [rules.refusedCountries, true],
          `Refusing receivers from ${rules.refusedCountries.map(countryName).join(", ")} for ${request.name}`,
        );
      }
    }
    builder.call("SecurityToken", tokenAddress, "issueTokens", [request.amount], `Creating ${amountOf(request.amountText, "initial share")} for ${request.name}`);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { tokenAddress, transferAgentAddress, kycAddress, prepared, warnings };
}

/**
 * The SecurityTokenExtension of the latest token this database deployed on this network, when that
 * deployment is mined and the extension answers as one; undefined otherwise (the new token then
 * creates its own). An unmined token is not used: its extension does not exist yet.
 */
async function deployedExtension(env: TxEnvironment): Promise<string | undefined> {
  const deployment = await ledgerOf(env.db).latestDeployment(env.network, "SecurityToken");
  if (deployment?.status !== "success" || !deployment.contractAddress) return undefined;
  const extension = await tryView<string>(contractAt(env, "SecurityToken", deployment.contractAddress), "extension");
  if (!extension || extension === ZeroAddress) return undefined;
  const version = await tryView<bigint>(contractAt(env, "SecurityTokenExtension", extension), "securityTokenExtensionVersion");
  return version === EXTENSION_VERSION ? extension : undefined;
}

/** The SecurityTokenExtension interface version this build's SecurityToken accepts. */
const EXTENSION_VERSION = 1n;

function hasPendingWhitelist(env: TxEnvironment, kycAddress: string): Promise<boolean> {
  return ledgerOf(env.db).hasUnmined({ network: env.network, to: kycAddress, functions: WHITELISTING_FUNCTIONS });
}
