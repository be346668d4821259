import { id, type Interface } from "ethers";

/**
 * ABI encoding of the two distribution calls by hand: the layout of `transfer(address,uint256)`
 * and `batchTransfer(address[],uint256[])` is fixed by the ABI specification, and encoding through
 * ethers costs about 60 µs per receiver (it re-checksums every address), which dominated preparing
 * large distributions. Addresses must already be valid (validation checksummed them); amounts are
 * below 2**256 (validation checked). test/distribution/calldata.test.ts compares with ethers.
 */
export class DistributionCalldata {
  private readonly transferSelector?: string;
  private readonly batchSelector?: string;

  /** Uses the hand encoding only if the ABI has exactly these signatures, ethers otherwise. */
  constructor(private readonly iface: Interface) {
    const transfer = iface.getFunction("transfer");
    if (transfer?.format("sighash") === "transfer(address,uint256)") this.transferSelector = transfer.selector;
    const batch = iface.getFunction("batchTransfer");
    if (batch?.format("sighash") === "batchTransfer(address[],uint256[])") this.batchSelector = batch.selector;
  }

  transfer(receiver: string, amount: bigint): string {
    if (!this.transferSelector) return this.iface.encodeFunctionData("transfer", [receiver, amount]);
    return this.transferSelector + word(receiver) + uint(amount);
  }

  batchTransfer(receivers: readonly string[], amounts: readonly bigint[]): string {
    if (!this.batchSelector) return this.iface.encodeFunctionData("batchTransfer", [receivers, amounts]);
    const count = receivers.length;
    // Head: the offsets of the two dynamic arrays; then each array as its length and elements.
    const parts: string[] = [this.batchSelector, uint(64n), uint(BigInt(64 + 32 * (count + 1))), uint(BigInt(count))];
    for (const receiver of receivers) parts.push(word(receiver));
    parts.push(uint(BigInt(amounts.length)));
    for (const amount of amounts) parts.push(uint(amount));
    return parts.join("");
  }
}

/** The selector of `verifyBatch(address,address[])` of ITransferVerifier. */
const VERIFY_BATCH_SELECTOR = id("verifyBatch(address,address[])").slice(0, 10);

/**
 * Calldata of `ITransferVerifier.verifyBatch(from, to[])`, by hand for the same reason: checking
 * 10,000 receivers through an ethers Contract spent half a second checksumming addresses.
 */
export function verifyBatchCalldata(from: string, receivers: readonly string[]): string {
  const parts: string[] = [VERIFY_BATCH_SELECTOR, word(from), uint(64n), uint(BigInt(receivers.length))];
  for (const receiver of receivers) parts.push(word(receiver));
  return parts.join("");
}

const ZEROS = "0".repeat(64);

function word(address: string): string {
  return (ZEROS + address.slice(2).toLowerCase()).slice(-64);
}

function uint(value: bigint): string {
  return (ZEROS + value.toString(16)).slice(-64);
}
