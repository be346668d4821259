import { StoError } from "../errors";

/**
 * Parses a human decimal amount ("10000", "12.5") into base units with `decimals` places, exactly.
 * Never goes through floating point.
 */
export function parseTokenAmount(text: string, decimals: number, origin: string): bigint {
  const value = text.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new StoError(`${origin}: "${value.slice(0, 40)}" is not a positive decimal number`);
  const [, whole, fraction = ""] = match;
  const trimmedFraction = fraction.replace(/0+$/, "");
  if (trimmedFraction.length > decimals) {
    throw new StoError(`${origin}: "${value.slice(0, 40)}" has more than ${decimals} decimal places`);
  }
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(trimmedFraction.padEnd(decimals, "0") || "0");
  if (units === 0n) throw new StoError(`${origin}: the amount must be above zero`);
  if (units >= 2n ** 256n) throw new StoError(`${origin}: "${value.slice(0, 40)}" is too large for a uint256`);
  return units;
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
