import { formatTokenAmount } from "../input/amounts";

/**
 * The one convention for amounts in --json output (docs/commands.md, "Amounts in JSON"): a token
 * or currency amount `x` is an exact decimal string in the token's own units ("512.5"), and `xUnits`
 * the same amount in base units as an integer string ("512500000000000000000"). A program that
 * does arithmetic reads `xUnits`; a person reads `x`.
 */
export function amountJson(name: string, units: bigint | string | null | undefined, decimals: number): Record<string, string | null> {
  if (units === null || units === undefined) return { [name]: null, [`${name}Units`]: null };
  const value = BigInt(units);
  return { [name]: formatTokenAmount(value, decimals), [`${name}Units`]: value.toString() };
}

/** `value` with each of `fields` (base units) given as amountJson gives it, in place of the bigint. */
export function withAmounts<T extends object>(value: T, decimals: number, fields: readonly (keyof T & string)[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if ((fields as readonly string[]).includes(key)) Object.assign(result, amountJson(key, field as bigint | string | null | undefined, decimals));
    else result[key] = field;
  }
  for (const field of fields) if (!(field in result)) Object.assign(result, amountJson(field, undefined, decimals));
  return result;
}
