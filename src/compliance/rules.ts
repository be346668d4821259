import { StoError } from "../errors";
import { InputError } from "../input/fields";
import { countryAlpha2, countryNumeric } from "./countries";

/** The restriction mode chosen at issue: what ordinary transfers need (docs/compliance.md). */
export type TransferRestriction = "unrestricted" | "restricted" | "kyc" | "soul-bound" | "time-locked";

export const TRANSFER_RESTRICTIONS: readonly TransferRestriction[] = ["unrestricted", "restricted", "kyc", "soul-bound", "time-locked"];

/** SecurityToken's restriction modes (`initializeCompliance`). */
export const MODE = { verifier: 0, kyc: 1, soulBound: 2, timeLocked: 3 } as const;

export function modeOf(restriction: TransferRestriction): number {
  if (restriction === "kyc") return MODE.kyc;
  if (restriction === "soul-bound") return MODE.soulBound;
  if (restriction === "time-locked") return MODE.timeLocked;
  return MODE.verifier;
}

/** A restriction mode by name; bad text is an InputError of `field`. */
export function parseRestriction(value: string | undefined, field = "restriction"): TransferRestriction {
  const normalised = (value ?? "unrestricted").trim().toLowerCase() as TransferRestriction;
  if (TRANSFER_RESTRICTIONS.includes(normalised)) return normalised;
  throw new InputError(field, `"${value}" must be one of ${TRANSFER_RESTRICTIONS.join(", ")}`);
}

/**
 * Investor classes by name and the class numbers BasicKYC stores (0 = none recorded; 1-31 by the
 * issuer's convention). A number 1-31 is accepted too, for classes without a name here.
 */
export const INVESTOR_CLASSES: Readonly<Record<string, number>> = {
  accredited: 1,
  retail: 2,
  institutional: 3,
  professional: 4,
  qualified: 5,
  employee: 6,
  insider: 7,
  foreign: 8,
};

export function parseInvestorClass(text: string, origin: string): number {
  const value = text.trim().toLowerCase();
  const named = INVESTOR_CLASSES[value];
  if (named !== undefined) return named;
  if (/^\d{1,2}$/.test(value) && Number(value) >= 1 && Number(value) <= 31) return Number(value);
  throw new StoError(`${origin}: "${text.trim().slice(0, 40)}" is not an investor class (${Object.keys(INVESTOR_CLASSES).join(", ")} or a number 1-31)`);
}

export function investorClassName(value: number): string {
  const name = Object.entries(INVESTOR_CLASSES).find(([, number]) => number === value)?.[0];
  return name ?? (value === 0 ? "none" : String(value));
}

/** A comma-separated list of classes as the token's bit set (bit i = class i may receive). */
export function parseInvestorClasses(text: string, origin: string): number {
  const parts = text.split(",").filter((part) => part.trim() !== "");
  if (parts.length === 0) throw new StoError(`${origin}: no investor class given`);
  return parts.reduce((set, part) => (set | (1 << parseInvestorClass(part, origin))) >>> 0, 0);
}

/** The classes of a bit set, by name. */
export function classNames(set: number): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) if ((set >>> bit) & 1) names.push(investorClassName(bit));
  return names;
}

/** An ISO 3166-1 country: alpha-2 ("DE") or numeric ("276"), as its numeric code. */
export function parseCountry(text: string, origin: string): number {
  const value = text.trim();
  const numeric = /^\d{1,3}$/.test(value) ? Number(value) : countryNumeric(value);
  if (numeric === undefined || numeric < 1 || numeric > 999) {
    throw new StoError(`${origin}: "${value.slice(0, 40)}" is not an ISO 3166-1 country code (like DE, US or 276)`);
  }
  return numeric;
}

export function parseCountries(text: string, origin: string): number[] {
  const parts = text.split(",").filter((part) => part.trim() !== "");
  if (parts.length === 0) throw new StoError(`${origin}: no country given`);
  return [...new Set(parts.map((part) => parseCountry(part, origin)))];
}

export function countryName(numeric: number): string {
  return countryAlpha2(numeric);
}

/** A whole number for a count limit. */
export function parseCount(text: string, origin: string): bigint {
  const value = text.trim();
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > 2n ** 64n - 1n) throw new StoError(`${origin}: "${value.slice(0, 40)}" is not a whole number`);
  return BigInt(value);
}

/** SecurityToken's release times and KYC expiries are unix seconds in 32 / 40 bits. */
export function requireUint32Time(seconds: number, origin: string): number {
  if (seconds > 2 ** 32 - 1) throw new StoError(`${origin}: too far in the future (the token stores times up to 2106-02-07)`);
  return seconds;
}

/** ERC-1404 codes of SecurityToken (docs/compliance.md), by number. */
export const RESTRICTION_NAMES: Readonly<Record<number, string>> = {
  0: "allowed",
  1: "paused",
  2: "sender frozen",
  3: "receiver frozen",
  4: "insufficient balance",
  5: "tokens frozen",
  6: "tokens locked",
  7: "no transfer verifier",
  8: "rejected by the transfer verifier",
  9: "receiver not in the KYC registry",
  10: "receiver's KYC expired",
  11: "receiver's investor class not allowed",
  12: "receiver's country refused",
  13: "soul-bound",
  14: "time-locked",
  15: "holder limit",
  16: "max balance",
  17: "zero address",
};
