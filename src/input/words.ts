/** `1 transaction`, `2 transactions`: a count with its noun in the right number. */
export function counted(count: number | bigint, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 || count === 1n ? singular : plural}`;
}

/** `1 share`, `1.5 shares`: an amount as formatted (formatTokenAmount) with its noun; only exactly one is singular. */
export function amountOf(amount: string, singular: string, plural = `${singular}s`): string {
  return `${amount} ${amount === "1" ? singular : plural}`;
}
