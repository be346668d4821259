import type { Contract } from "ethers";
import type { PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import { InputError, type FieldText } from "../input/fields";
import { formatTokenAmount } from "../input/amounts";
import { formatTime } from "../input/dates";
import { validateText } from "../input/text";
import { contractAt, erc20Info, requireDeployed, securityTokenWithRole, tryView, view, type ReadEnvironment } from "../token/onchain";
import { TOKEN_FALLBACK_GAS } from "../token/gas";
import type { TxEnvironment } from "../tx/environment";
import { ledgerOf } from "../tx/ledger";
import { prepareTransactions } from "../tx/prepare";
import { classNames, countryName, RESTRICTION_NAMES } from "./rules";

/** The rules in force on a SecurityToken (`complianceRules()` and `refusedCountries()`). */
export interface ComplianceRules {
  mode: "verifier" | "kyc" | "soul-bound" | "time-locked";
  /** The transfer verifier, or in kyc mode the investor registry. */
  policy: string;
  verifierUnrestricted: boolean;
  paused: boolean;
  /** 0 = no cap. */
  maxSupply: bigint;
  allowedInvestorClasses: number;
  /** Unix seconds; 0 unless time-locked. */
  releaseTime: number;
  holdersTracked: boolean;
  holders: bigint;
  maxHolders: bigint;
  maxBalance: bigint;
  refusedCountries: number[];
}

const MODE_NAMES: Record<number, ComplianceRules["mode"]> = { 0: "verifier", 1: "kyc", 2: "soul-bound", 3: "time-locked" };

/** The rules of the token at `tokenAddress`, or undefined for a token without compliance rules (an older SecurityToken, a plain ERC-20). */
export async function readComplianceRules(env: Pick<ReadEnvironment, "provider" | "artifacts">, tokenAddress: string, blockTag?: number): Promise<ComplianceRules | undefined> {
  const token = contractAt(env, "SecurityToken", tokenAddress);
  const overrides = blockTag === undefined ? {} : { blockTag };
  const rules = await tryView<unknown[]>(token, "complianceRules", overrides);
  if (!rules) return undefined;
  const [mode, policy, verifierUnrestricted, paused, maxSupply, classes, releaseTime, holdersTracked, holders, maxHolders, maxBalance, refusedCount] = rules as [
    bigint, string, boolean, boolean, bigint, bigint, bigint, boolean, bigint, bigint, bigint, bigint,
  ];
  const refused = refusedCount > 0n ? ((await view<bigint[]>(token, "refusedCountries", overrides)).map(Number)) : [];
  return {
    mode: MODE_NAMES[Number(mode)] ?? "verifier",
    policy,
    verifierUnrestricted,
    paused,
    maxSupply,
    allowedInvestorClasses: Number(classes),
    releaseTime: Number(releaseTime),
    holdersTracked,
    holders,
    maxHolders,
    maxBalance,
    refusedCountries: refused,
  };
}

/** The active rules as lines for people (token-status). */
export function describeRules(rules: ComplianceRules, decimals: number): string[] {
  const lines = [`Transfer restriction mode: ${rules.mode === "verifier" ? (rules.verifierUnrestricted ? "unrestricted" : "verifier (restricted)") : rules.mode}`];
  lines.push(`Paused: ${rules.paused ? "yes" : "no"}`);
  lines.push(`Max supply: ${rules.maxSupply === 0n ? "none" : formatTokenAmount(rules.maxSupply, decimals)}`);
  if (rules.mode === "kyc") {
    lines.push(`Investor registry: ${rules.policy}`);
    lines.push(`Investor classes allowed: ${rules.allowedInvestorClasses === 0 ? "any" : classNames(rules.allowedInvestorClasses).join(", ")}`);
    lines.push(`Refused countries: ${rules.refusedCountries.length === 0 ? "none" : rules.refusedCountries.map(countryName).join(", ")}`);
  }
  if (rules.mode === "time-locked") lines.push(`Release time: ${formatTime(rules.releaseTime)}`);
  lines.push(`Holders: ${rules.holdersTracked ? `${rules.holders} counted, limit ${rules.maxHolders === 0n ? "none" : rules.maxHolders}` : "not counted"}`);
  lines.push(`Max balance per holder: ${rules.maxBalance === 0n ? "none" : formatTokenAmount(rules.maxBalance, decimals)}`);
  return lines;
}

export interface ComplianceResult {
  prepared: PreparedTransaction[];
  warnings: FieldText[];
  symbol: string;
}

async function hasUnmined(env: TxEnvironment): Promise<boolean> {
  return ledgerOf(env.db).hasUnmined({ network: env.network, from: env.address });
}

async function rulesOrStop(env: TxEnvironment, tokenAddress: string): Promise<ComplianceRules> {
  const rules = await readComplianceRules(env, tokenAddress);
  if (!rules) throw new InputError("tokenAddress", `${tokenAddress} is a SecurityToken without compliance rules (deployed by an older sto)`);
  return rules;
}

/** Prepares pause() or unpause() (PAUSER_ROLE). */
export async function preparePause(env: TxEnvironment, tokenAddress: string, pause: boolean): Promise<ComplianceResult> {
  await securityTokenWithRole(env, tokenAddress, "PAUSER_ROLE", env.address, pause ? "pause" : "unpause");
  const rules = await rulesOrStop(env, tokenAddress);
  const info = await erc20Info(env, tokenAddress);
  const warnings: FieldText[] = [];
  if (rules.paused === pause) {
    const message = `${info.symbol} ${tokenAddress} is ${pause ? "already paused" : "not paused"}`;
    if (!(await hasUnmined(env))) throw new StoError(message);
    warnings.push(`${message} now (transactions not mined yet may change that)`);
  }
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("SecurityToken", tokenAddress, pause ? "pause" : "unpause", [], pause ? `Pausing all transfers of ${info.symbol}` : `Resuming transfers of ${info.symbol}`);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { prepared, warnings, symbol: info.symbol };
}

export interface FreezeRequest {
  tokenAddress: string;
  holder: string;
  /** Base units; undefined = the whole address. */
  amount?: bigint;
  reason: string;
  freeze: boolean;
}

/** Prepares setAddressFrozen or freezePartialTokens / unfreezePartialTokens (FREEZER_ROLE); the reason goes into the note and on chain. */
export async function prepareFreeze(env: TxEnvironment, request: FreezeRequest): Promise<ComplianceResult> {
  validateText(request.reason, "reason", 1000);
  const verb = request.freeze ? "freeze" : "unfreeze";
  const token = await securityTokenWithRole(env, request.tokenAddress, "FREEZER_ROLE", env.address, verb);
  await rulesOrStop(env, request.tokenAddress);
  const info = await erc20Info(env, request.tokenAddress);
  const [balance, frozen, frozenTokens] = (await view<unknown[]>(token, "holding", request.holder)) as [bigint, boolean, bigint];
  const reason = request.reason.trim();
  const warnings: FieldText[] = [];
  const refuse = async (field: string, problem: string): Promise<void> => {
    if (!(await hasUnmined(env))) throw new InputError(field, problem);
    warnings.push((name) => `${name(field)}: ${problem} now (transactions not mined yet may change that)`);
  };
  if (request.amount === undefined) {
    if (frozen === request.freeze) await refuse("holder", `${request.holder} is ${frozen ? "already frozen" : "not frozen"}`);
  } else if (request.amount === 0n) {
    throw new InputError("amount", "must be more than 0");
  } else if (request.freeze && frozenTokens + request.amount > balance) {
    await refuse("amount", `${request.holder} holds ${formatTokenAmount(balance, info.decimals)} of which ${formatTokenAmount(frozenTokens, info.decimals)} frozen already`);
  } else if (!request.freeze && request.amount > frozenTokens) {
    await refuse("amount", `only ${formatTokenAmount(frozenTokens, info.decimals)} of ${request.holder}'s tokens are frozen`);
  }
  const prepared = await prepareTransactions(env, (builder) => {
    if (request.amount === undefined) {
      builder.call("SecurityToken", request.tokenAddress, "setAddressFrozen", [request.holder, request.freeze, reason], `${request.freeze ? "Freezing" : "Unfreezing"} ${request.holder} on ${info.symbol}: ${reason}`);
    } else {
      const amountText = formatTokenAmount(request.amount, info.decimals);
      builder.call(
        "SecurityToken",
        request.tokenAddress,
        request.freeze ? "freezePartialTokens" : "unfreezePartialTokens",
        [request.holder, request.amount, reason],
        `${request.freeze ? "Freezing" : "Unfreezing"} ${amountText} ${info.symbol} of ${request.holder}: ${reason}`,
      );
    }
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { prepared, warnings, symbol: info.symbol };
}

export interface RuleChanges {
  maxSupply?: bigint;
  maxHolders?: bigint;
  maxBalance?: bigint;
  investorClasses?: number;
  refuseCountries?: number[];
  allowCountries?: number[];
  releaseTime?: number;
}

/** Prepares the rule changes of compliance-set (COMPLIANCE_ROLE), one transaction per function, each noting what changes. */
export async function prepareRuleChanges(env: TxEnvironment, tokenAddress: string, changes: RuleChanges): Promise<ComplianceResult> {
  if (Object.values(changes).every((value) => value === undefined)) {
    throw new StoError((name) => `compliance-set: give at least one rule to change (see sto compliance-set ${name("compliance-set:help")})`);
  }
  await securityTokenWithRole(env, tokenAddress, "COMPLIANCE_ROLE", env.address, "change compliance rules");
  const rules = await rulesOrStop(env, tokenAddress);
  const info = await erc20Info(env, tokenAddress);
  const amount = (value: bigint): string => formatTokenAmount(value, info.decimals);
  const supply = await view<bigint>(contractAt(env, "SecurityToken", tokenAddress), "totalSupply");
  if (changes.maxSupply !== undefined) {
    if (rules.maxSupply !== 0n && changes.maxSupply > rules.maxSupply) throw new InputError("maxSupply", `can only be lowered (now ${amount(rules.maxSupply)})`);
    if (changes.maxSupply === 0n || changes.maxSupply < supply) throw new InputError("maxSupply", `must be at least the total supply, ${amount(supply)}`);
  }
  if (changes.maxHolders !== undefined && changes.maxHolders !== 0n && !rules.holdersTracked) {
    throw new InputError("maxHolders", (name) => `${name("maxHolders")}: this token does not count holders (chosen at issue with a holder limit)`);
  }
  if ((changes.investorClasses !== undefined || changes.refuseCountries || changes.allowCountries) && rules.mode !== "kyc") {
    throw new InputError(
      "investorClasses",
      (name) => `${name("investorClasses")}, ${name("refuseCountries")}, ${name("allowCountries")}: only for a kyc token (this one is ${rules.mode})`,
    );
  }
  if (changes.releaseTime !== undefined) {
    if (rules.mode !== "time-locked") throw new InputError("releaseTime", `only for a time-locked token (this one is ${rules.mode})`);
    if (changes.releaseTime > rules.releaseTime) throw new InputError("releaseTime", `can only be brought forward (now ${formatTime(rules.releaseTime)})`);
  }
  const overlap = (changes.refuseCountries ?? []).filter((country) => changes.allowCountries?.includes(country));
  if (overlap.length > 0) {
    throw new InputError("refuseCountries", (name) => `${name("refuseCountries")} and ${name("allowCountries")} both name ${overlap.map(countryName).join(", ")}`);
  }
  const prepared = await prepareTransactions(env, (builder) => {
    const call = (fn: string, args: unknown[], note: string): void => {
      builder.call("SecurityToken", tokenAddress, fn, args, `${info.symbol}: ${note}`);
    };
    if (changes.maxSupply !== undefined) {
      call("setMaxSupply", [changes.maxSupply], `max supply ${rules.maxSupply === 0n ? "none" : amount(rules.maxSupply)} -> ${amount(changes.maxSupply)}`);
    }
    if (changes.maxHolders !== undefined || changes.maxBalance !== undefined) {
      const maxHolders = changes.maxHolders ?? rules.maxHolders;
      const maxBalance = changes.maxBalance ?? rules.maxBalance;
      const show = (value: bigint, text: (v: bigint) => string): string => (value === 0n ? "none" : text(value));
      call(
        "setHolderLimits",
        [maxHolders, maxBalance],
        `holder limit ${show(rules.maxHolders, String)} -> ${show(maxHolders, String)}, max balance ${show(rules.maxBalance, amount)} -> ${show(maxBalance, amount)}`,
      );
    }
    if (changes.investorClasses !== undefined) {
      const named = (set: number): string => (set === 0 ? "any" : classNames(set).join(","));
      call("setAllowedInvestorClasses", [changes.investorClasses], `investor classes ${named(rules.allowedInvestorClasses)} -> ${named(changes.investorClasses)}`);
    }
    if (changes.refuseCountries?.length) call("setCountriesRefused", [changes.refuseCountries, true], `refusing receivers from ${changes.refuseCountries.map(countryName).join(", ")}`);
    if (changes.allowCountries?.length) call("setCountriesRefused", [changes.allowCountries, false], `no longer refusing ${changes.allowCountries.map(countryName).join(", ")}`);
    if (changes.releaseTime !== undefined) {
      call("setReleaseTime", [changes.releaseTime], `release time ${formatTime(rules.releaseTime)} -> ${formatTime(changes.releaseTime)}`);
    }
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { prepared, warnings: [], symbol: info.symbol };
}

export interface ComplianceCheck {
  code: number;
  /** Short name of the rule (RESTRICTION_NAMES). */
  rule: string;
  /** The token's own message (messageForTransferRestriction). */
  message: string;
  allowed: boolean;
}

/** detectTransferRestriction(from, to, amount) and its message, at the latest block. */
export async function checkTransfer(env: ReadEnvironment, tokenAddress: string, from: string, to: string, amount: bigint): Promise<ComplianceCheck> {
  await requireDeployed(env, tokenAddress, "tokenAddress");
  const token: Contract = contractAt(env, "SecurityToken", tokenAddress);
  const code = await tryView<bigint>(token, "detectTransferRestriction", from, to, amount);
  if (code === undefined) throw new InputError("tokenAddress", `${tokenAddress} does not answer detectTransferRestriction (not a SecurityToken with compliance rules)`);
  const message = await view<string>(token, "messageForTransferRestriction", code);
  const number = Number(code);
  return { code: number, rule: RESTRICTION_NAMES[number] ?? "unknown", message, allowed: number === 0 };
}


