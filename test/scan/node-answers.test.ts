import { describe, expect, it } from "vitest";
import { AdaptiveBlockRange } from "../../src/chain/block-ranges";
import { TRANSFER_TOPIC } from "../../src/chain/erc20";
import { isTooLarge, isTransientRpcError, readRefusal } from "../../src/chain/failures";
import type { RawLog } from "../../src/chain/logs";
import { RpcError } from "../../src/chain/rpc";
import { decodeTransferLogs } from "../../src/scan/transfer-log";

const rpcError = (message: string, code = -32000, data?: unknown) => new RpcError("eth_getLogs", code, message, data);

describe("node error answers", () => {
  it.each([
    ["Infura", rpcError("query returned more than 10000 results", -32005, { from: "0x10", to: "0x1f" })],
    ["Alchemy", rpcError("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0x4e1f]", -32602)],
    ["Ankr", rpcError("block range is too wide")],
    ["QuickNode", rpcError("eth_getLogs is limited to a 10,000 range")],
    ["reth", rpcError("query exceeds max block range 100000")],
    ["reth results", rpcError("query exceeds max results 20000")],
    ["Besu", rpcError("Requested range exceeds maximum range limit", -32005)],
    ["geth timeout", rpcError("query timeout exceeded")],
    ["Chainstack", rpcError("response size should not greater than 10000000 bytes")],
    // What the transport makes of an HTTP 413 answer.
    ["HTTP 413", rpcError("response too large (HTTP 413 Payload Too Large)", 413)],
  ])("%s: too large, never retried as it is", (_provider, error) => {
    expect(isTooLarge(error)).toBe(true);
    expect(isTransientRpcError(error, "eth_getLogs")).toBe(false);
  });

  // HTTP statuses and broken connections are the transport's: test/faults/flaky-node.test.ts.
  it.each([
    ["Alchemy capacity", rpcError("Your app has exceeded its compute units per second capacity", 429)],
    ["JSON-RPC rate limit", rpcError("Too Many Requests: rate limit exceeded", 429)],
    ["Infura rate limit", rpcError("daily request count exceeded, request rate limited", -32005)],
    ["lagging node", rpcError("header not found")],
    ["internal", rpcError("internal error", -32603)],
  ])("%s: transient (the transport retries it), not too large", (_kind, error) => {
    expect(isTransientRpcError(error, "eth_getLogs")).toBe(true);
    expect(isTooLarge(error)).toBe(false);
  });

  it("anything else is an answer: neither retried nor a reason to shrink the range", () => {
    const missing = rpcError("the method eth_getLogs does not exist/is not available", -32601);
    expect(isTransientRpcError(missing, "eth_getLogs")).toBe(false);
    expect(isTooLarge(missing)).toBe(false);
    // An internal error is the node's trouble when it reads blocks, an answer when it runs a transaction.
    expect(isTransientRpcError(rpcError("internal error", -32603), "eth_sendRawTransaction")).toBe(false);
    expect(isTransientRpcError(rpcError("execution reverted: timeout", 3), "eth_call")).toBe(false);
    expect(isTransientRpcError(rpcError("nonce too low", -32000), "eth_sendRawTransaction")).toBe(false);
  });

  it("reads the range a refusal suggests", () => {
    expect(readRefusal(rpcError("query returned more than 10000 results", -32005, { from: "0x10", to: "0x1f" }))).toEqual({ blocks: 16, isRangeLimit: false });
    expect(readRefusal(rpcError("Log response size exceeded. this block range should work: [0x100, 0x1ff]"))).toEqual({ blocks: 256, isRangeLimit: false });
    expect(readRefusal(rpcError("eth_getLogs is limited to a 10,000 range"))).toEqual({ blocks: 10_000, isRangeLimit: true });
    expect(readRefusal(rpcError("exceed maximum block range: 1000"))).toEqual({ blocks: 1000, isRangeLimit: true });
    expect(readRefusal(rpcError("block range is too wide"))).toEqual({ isRangeLimit: true });
  });
});

describe("adaptive block ranges", () => {
  it("grows over empty stretches up to the maximum and steers toward the target where events are dense: down at once, up by doubling", () => {
    const range = new AdaptiveBlockRange({ initial: 100, max: 1000, targetEvents: 500 });
    range.succeeded(100, 0);
    expect(range.blocks).toBe(200);
    for (let i = 0; i < 5; i++) range.succeeded(range.blocks, 0);
    expect(range.blocks).toBe(1000);
    range.succeeded(1000, 4000);
    expect(range.blocks).toBe(125); // down to the target at once
    range.succeeded(125, 25);
    expect(range.blocks).toBe(250); // up by at most doubling
    range.succeeded(250, 25);
    expect(range.blocks).toBe(500);
    range.succeeded(500, 500);
    expect(range.blocks).toBe(500);
    range.succeeded(500, 1_000_000);
    expect(range.blocks).toBe(1); // never below one block
  });

  it("is settled only once an answer confirmed the size: near the target and not grown from it", () => {
    const range = new AdaptiveBlockRange({ initial: 10, max: 1000, targetEvents: 5000 });
    expect(range.settled).toBe(false);
    range.succeeded(10, 2881); // sparse start: the size grows, unconfirmed
    expect(range.blocks).toBe(17);
    expect(range.settled).toBe(false);
    range.succeeded(17, 24_480); // denser than thought: down at once, still unconfirmed
    expect(range.blocks).toBe(3);
    expect(range.settled).toBe(false);
    range.succeeded(3, 4320); // within the target, the size kept
    expect(range.blocks).toBe(3);
    expect(range.settled).toBe(true);
    range.succeeded(3, 6500); // more than a quarter above the target
    expect(range.settled).toBe(false);
    range.succeeded(2, 4000);
    expect(range.settled).toBe(true);
    range.refused(2, { isRangeLimit: false });
    expect(range.settled).toBe(false);
    range.succeeded(1, 0); // empty: grows
    expect(range.settled).toBe(false);
  });

  it("backs off to the suggestion, keeps a stated range limit as a ceiling and bisects an unstated one", () => {
    const range = new AdaptiveBlockRange({ initial: 1000, max: 100_000 });
    expect(range.refused(1000, { blocks: 300, isRangeLimit: false })).toBe(true);
    expect(range.blocks).toBe(300);
    range.succeeded(300, 0);
    expect(range.blocks).toBe(600);

    const limited = new AdaptiveBlockRange({ initial: 1000, max: 100_000 });
    limited.refused(1000, { blocks: 128, isRangeLimit: true });
    for (let i = 0; i < 5; i++) limited.succeeded(limited.blocks, 0);
    expect(limited.blocks).toBe(128);

    const unstated = new AdaptiveBlockRange({ initial: 64, max: 100_000 });
    unstated.succeeded(64, 0);
    unstated.refused(128, { isRangeLimit: true });
    expect(unstated.blocks).toBe(96);
    expect(unstated.maxBlocks).toBe(127);

    expect(new AdaptiveBlockRange().refused(1, { isRangeLimit: false })).toBe(false);
  });
});

describe("Transfer log decoding", () => {
  const word = (hex: string) => hex.replace(/^0x/, "").padStart(64, "0");
  const base = { address: "0x1", blockHash: `0x${"ab".repeat(32)}`, transactionHash: `0x${"cd".repeat(32)}`, blockNumber: "0x10" };
  const alice = "0x" + "a1".repeat(20);
  const bob = "0x" + "b2".repeat(20);

  it("decodes indexed transfers, the unindexed layout of early tokens, and skips ERC-721 and malformed logs", () => {
    const logs: RawLog[] = [
      { ...base, logIndex: "0x0", topics: [TRANSFER_TOPIC, `0x${word(alice)}`, `0x${word(bob)}`], data: `0x${word("ff")}` },
      { ...base, logIndex: "0x1", topics: [TRANSFER_TOPIC], data: `0x${word(bob)}${word(alice)}${word("0100")}` },
      { ...base, logIndex: "0x2", topics: [TRANSFER_TOPIC, `0x${word(alice)}`, `0x${word(bob)}`, `0x${word("7")}`], data: "0x" },
      { ...base, logIndex: "0x3", topics: [TRANSFER_TOPIC, `0x${word(alice)}`, `0x${word(bob)}`], data: "0x" },
    ];
    const decoded = decodeTransferLogs(logs);
    expect(decoded.events.map((event) => [event.from, event.to, event.value, event.logIndex])).toEqual([
      [alice, bob, 255n, 0],
      [bob, alice, 256n, 1],
    ]);
    expect(decoded.nonFungible).toBe(1);
    expect(decoded.skipped).toBe(1);
    // Logs of another contract (a node ignoring the address filter) are left out.
    expect(decodeTransferLogs(logs, "0x2").events).toHaveLength(0);
    expect(decodeTransferLogs(logs, "0x1").events).toHaveLength(2);
  });

  it("puts logs in chain order and drops duplicates when a node does not", () => {
    const log = (block: string, index: string): RawLog => ({
      ...base,
      blockNumber: block,
      logIndex: index,
      topics: [TRANSFER_TOPIC, `0x${word(alice)}`, `0x${word(bob)}`],
      data: `0x${word("1")}`,
    });
    const decoded = decodeTransferLogs([log("0x2", "0x0"), log("0x1", "0x5"), log("0x1", "0x1"), log("0x1", "0x5")]);
    expect(decoded.events.map((event) => [event.blockNumber, event.logIndex])).toEqual([
      [1, 1],
      [1, 5],
      [2, 0],
    ]);
  });
});
