import { isPoolFull, isTransientFailure } from "../chain/failures";

/** How a node answered eth_sendRawTransaction with an error, across geth, Nethermind, Erigon, Hardhat. */
export type SendErrorKind =
  | "already-known"
  | "nonce-too-low"
  | "replacement-underpriced"
  | "insufficient-funds"
  /** The fees are below what the node accepts now (base fee rose, pool minimum): re-sign with higher fees. */
  | "fee-too-low"
  /** The gas limit can never work (below the intrinsic cost, above the block gas limit): re-sign with another. */
  | "gas-limit-invalid"
  /** The node's pool, or the account's share of it, is full: send the same bytes again after a block. */
  | "pool-full"
  | "transient"
  | "rejected";

export function classifySendError(error: unknown): SendErrorKind {
  const message = errorText(error);
  if (/already known|known transaction|already imported|alreadyknown|already in the mempool|transaction already exists/i.test(message)) {
    return "already-known";
  }
  // Before the nonce and fee patterns: "nonce too far in future" is not a nonce problem of ours.
  if (isPoolFull(message)) return "pool-full";
  if (/nonce too low|nonce has already been used|nonce_expired|oldnonce|invalid nonce.*lower/i.test(message)) return "nonce-too-low";
  if (/replacement transaction underpriced|replacement.*underpriced|could not replace existing tx|replacement fee too low|replacementnotallowed/i.test(message)) {
    return "replacement-underpriced";
  }
  if (/insufficient funds|insufficient balance|sender doesn't have enough funds/i.test(message)) return "insufficient-funds";
  if (/intrinsic gas too low|requires at least \d+ gas|gas limit reached|exceeds block gas limit|gas limit .*exceeds|gaslimitexceeded|intrinsicgas|gas too low/i.test(message)) {
    return "gas-limit-invalid";
  }
  if (/max fee per gas less than block base fee|too low for the next block|transaction underpriced|fee cap .*(too low|less)|feetoolow|underpriced|maxfeepergas.*too low/i.test(message)) {
    return "fee-too-low";
  }
  if (isTransientFailure(message)) return "transient";
  return "rejected";
}

/** All the text of an error and its nested causes, for matching node messages. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (value === undefined || value === null || seen.has(value)) return;
    if (typeof value === "string") {
      parts.push(value);
      return;
    }
    if (typeof value !== "object") return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const key of ["message", "shortMessage", "code", "reason", "body", "responseBody"]) visit(record[key]);
    for (const key of ["error", "info", "cause", "response"]) visit(record[key]);
  };
  visit(error);
  return parts.join(" | ");
}
