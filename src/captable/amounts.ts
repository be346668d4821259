/**
 * Exact arithmetic for the cap table: token amounts are integers of base units (bigint), shown as
 * decimals without ever passing through floating point.
 */

/**
 * Shares of `total` in units of 10^-accuracy percent, by the largest remainder method: each share is
 * rounded down, then the units still missing to 100% go to the largest remainders (ties: larger
 * balance first, then list order). The result sums to exactly 100% when total > 0, and every share
 * is within one unit of its exact value.
 */
export function largestRemainderPercentages(balances: readonly bigint[], accuracy: number): bigint[] {
  const total = balances.reduce((sum, balance) => sum + balance, 0n);
  if (total <= 0n) return balances.map(() => 0n);
  const whole = 100n * 10n ** BigInt(accuracy);
  const shares = balances.map((balance) => (balance * whole) / total);
  const remainders = balances.map((balance) => (balance * whole) % total);
  let missing = whole - shares.reduce((sum, share) => sum + share, 0n);
  const order = balances
    .map((_, index) => index)
    .sort((a, b) => {
      if (remainders[a] !== remainders[b]) return remainders[b] > remainders[a] ? 1 : -1;
      if (balances[a] !== balances[b]) return balances[b] > balances[a] ? 1 : -1;
      return a - b;
    });
  for (const index of order) {
    if (missing <= 0n) break;
    shares[index] += 1n;
    missing -= 1n;
  }
  return shares;
}

/** A number of 10^-decimals units as a decimal string with exactly `decimals` fraction digits. */
export function fixedPoint(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, "0");
  const integer = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  return `${negative ? "-" : ""}${integer}${decimals > 0 ? `.${fraction}` : ""}`;
}

/** An amount of base units as an exact decimal, without trailing fraction zeros ("1.5", "100"). */
export function exactAmount(units: bigint, decimals: number): string {
  const text = fixedPoint(units, decimals);
  return decimals > 0 ? text.replace(/\.?0+$/, "") : text;
}

/** An amount of base units rounded half away from zero to `accuracy` fraction digits. */
export function roundedAmount(units: bigint, decimals: number, accuracy: number): string {
  if (accuracy >= decimals) return fixedPoint(units * 10n ** BigInt(accuracy - decimals), accuracy);
  const divisor = 10n ** BigInt(decimals - accuracy);
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) quotient += 1n;
  return fixedPoint(negative ? -quotient : quotient, accuracy);
}
