import { InputError } from "./fields";

const MAX_UINT256 = 2n ** 256n - 1n;

/** A decimal amount converted to base units, or why it cannot be. */
export type AmountCheck = { units: bigint } | { reason: string };

/**
 * Converts a human decimal amount ("10000", "12.5") into base units with `decimals` places,
 * exactly (never through floating point), or says why it is not a valid positive token amount.
 * The reasons are phrased to follow the value: `"abc": not a positive decimal number`.
 */
export function checkTokenAmount(text: string, decimals: number): AmountCheck {
  const value = text.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return { reason: "not a positive decimal number" };
  const [, whole, fraction = ""] = match;
  const trimmedFraction = fraction.replace(/0+$/, "");
  if (trimmedFraction.length > decimals) return { reason: `has more than ${decimals} decimal places` };
  // A uint256 has at most 78 digits: refuse longer numbers before building huge bigints.
  if (whole.replace(/^0+/, "").length > 78 + 1) return { reason: "too large for a uint256" };
  // whole × 10^decimals + the fraction's digits padded to `decimals`: the digits side by side, one
  // conversion (this runs for every row of a distribution file).
  const units = BigInt(whole + trimmedFraction.padEnd(decimals, "0"));
  if (units === 0n) return { reason: "must be above zero" };
  if (units > MAX_UINT256) return { reason: "too large for a uint256" };
  return { units };
}

/**
 * Parses a human decimal amount ("10000", "12.5") given in the request's `field` into base units
 * with `decimals` places, exactly. Never goes through floating point.
 */
export function parseTokenAmount(text: string, decimals: number, field: string): bigint {
  const checked = checkTokenAmount(text, decimals);
  if ("units" in checked) return checked.units;
  const value = text.trim();
  if (checked.reason === "must be above zero") throw new InputError(field, "the amount must be above zero");
  if (checked.reason.startsWith("not a")) throw new InputError(field, `"${value.slice(0, 40)}" is ${checked.reason}`);
  throw new InputError(field, `"${value.slice(0, 40)}" ${checked.reason.replace(/^too large/, "is too large")}`);
}

/** Formats base units as a decimal string without losing precision or trailing noise. */
export function formatTokenAmount(units: bigint, decimals: number, maxFractionDigits = decimals): string {
  const negative = units < 0n;
  const absolute = negative ? -units : units;
  const base = 10n ** BigInt(decimals);
  const whole = absolute / base;
  let fraction = decimals > 0 ? (absolute % base).toString().padStart(decimals, "0").slice(0, maxFractionDigits) : "";
  fraction = fraction.replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}
