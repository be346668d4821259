/** `1 transaction`, `2 transactions`: a count with its noun in the right number. */
export function counted(count: number | bigint, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 || count === 1n ? singular : plural}`;
}

/** `1 share`, `1.5 shares`: an amount as formatted (formatTokenAmount) with its noun; only exactly one is singular. */
export function amountOf(amount: string, singular: string, plural = `${singular}s`): string {
  return `${amount} ${amount === "1" ? singular : plural}`;
}

/**
 * `3, 5, 7–9`: numbers (nonces) in ascending order, runs of three or more written as a range, so
 * that thousands of consecutive nonces make one short line.
 */
export function numberRanges(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end++;
    if (end - start >= 2) parts.push(`${sorted[start]}–${sorted[end]}`);
    else for (let index = start; index <= end; index++) parts.push(String(sorted[index]));
    start = end + 1;
  }
  return parts.join(", ");
}
