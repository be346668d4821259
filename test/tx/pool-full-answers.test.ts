import { describe, expect, it } from "vitest";
import { isPoolFull, isTransientFailure, isTransientRpcError } from "../../src/chain/failures";
import { classifySendError } from "../../src/tx/node-errors";

/**
 * The answers of nodes whose pool, or the account's share of it, is full: "wait for the next
 * block", never a rejection (which would be recorded on the signature) and never a retry at once.
 */
describe("pool-full answers to eth_sendRawTransaction", () => {
  it.each([
    ["geth pool overflow", "txpool is full"],
    ["geth account slots", "account limit exceeded"],
    ["geth full pool, gapped replacement", "future transaction tries to replace pending"],
    ["geth delegated accounts", "in-flight transaction limit reached for delegated accounts"],
    ["reth", "transaction pool is full"],
    ["Erigon pending", "pending sub-pool is full"],
    ["Erigon base fee", "baseFee sub-pool is full"],
    ["Erigon queued", "queued sub-pool is full"],
    ["Erigon account slots", "spammer"],
    ["Nethermind", "NonceTooFarInFuture"],
    ["Nethermind message", "nonce too far in future"],
    ["Besu", "Transaction nonce is too distant from current sender nonce"],
    ["OpenEthereum", "There are too many transactions in the queue. Your transaction was dropped due to limit. Try increasing the fee."],
    ["hosted", "too many pending transactions"],
    ["mempool", "sender mempool quota exceeded"],
  ])("%s: %s", (_node, message) => {
    expect(isPoolFull(message)).toBe(true);
    expect(classifySendError(new Error(message))).toBe("pool-full");
    expect(isTransientRpcError({ code: -32000, message }, "eth_sendRawTransaction")).toBe(false);
  });

  it.each([
    ["nonce too low", "nonce-too-low"],
    ["replacement transaction underpriced", "replacement-underpriced"],
    ["insufficient funds for gas * price + value", "insufficient-funds"],
    ["transaction underpriced", "fee-too-low"],
    ["already known", "already-known"],
    ["invalid sender", "rejected"],
  ])("not pool-full: %s", (message, kind) => {
    expect(isPoolFull(message)).toBe(false);
    expect(classifySendError(new Error(message))).toBe(kind);
  });

  it("a rate limit stays a transport retry, not a pool-full wait", () => {
    expect(isPoolFull("Too Many Requests: rate limit exceeded")).toBe(false);
    expect(isTransientFailure("Too Many Requests: rate limit exceeded")).toBe(true);
  });
});
