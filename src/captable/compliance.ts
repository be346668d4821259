import { AbiCoder, id } from "ethers";
import { AccountViewReader, type AccountView } from "../chain/balances";
import { RpcError, toBlockTag, type NodeClient } from "../chain/rpc";
import { StoError } from "../errors";
import { isoTime, type CapTable, type CapTableCompliance, type HolderCompliance } from "./captable";

const HOLDING = id("holding(address)").slice(0, 10);
const CODER = AbiCoder.defaultAbiCoder();
/**
 * holding() reads up to 16 lock-up tranches (cold storage, about 40,000 gas at worst): 200 calls
 * stay far below the 30,000,000 gas nodes allow an eth_call by default.
 */
const HOLDINGS_PER_MULTICALL = 200;

const HOLDING_VIEW: AccountView<HolderCompliance> = {
  data: (address) => `${HOLDING}${address.slice(2).toLowerCase().padStart(64, "0")}`,
  decode: (answer) => {
    if (!/^0x([0-9a-fA-F]{64}){6}$/.test(answer)) return null;
    const [balance, frozen, frozenTokens, locked, , nextRelease] = CODER.decode(
      ["uint256", "bool", "uint256", "uint256", "uint256", "uint256"],
      answer,
    ) as unknown as [bigint, boolean, bigint, bigint, bigint, bigint];
    return { balance, addressFrozen: frozen, frozenTokens, locked, nextRelease: nextRelease === 0n ? null : Number(nextRelease) };
  },
};

/**
 * Reads `holding(account)` of every address at `block`, batched (Multicall3, else JSON-RPC
 * batches). The lock-up part is what the contract computes at that block's time. When no address
 * answers at `block` (a node that keeps only recent state), the latest block is read instead and
 * the result says so; when none answers there either, the token has no compliance views.
 */
export async function readHolderCompliance(node: NodeClient, tokenAddress: string, addresses: string[], block: number): Promise<CapTableCompliance> {
  const atBlock = await readAt(node, tokenAddress, addresses, block);
  if (atBlock.answered > 0 || addresses.length === 0) {
    return { block, blockTime: await blockTimeOf(node, block), atCapTableBlock: true, holders: atBlock.holders };
  }
  const latest = Number(BigInt(await node.call<string>("eth_blockNumber", [])));
  const now = latest === block ? atBlock : await readAt(node, tokenAddress, addresses, latest);
  if (now.answered === 0) {
    throw new StoError(
      (name) =>
        `${name("cap-table:compliance")}: the token ${tokenAddress} does not answer holding(address): it is not a SecurityToken with compliance rules (or the node cannot run calls on it)`,
    );
  }
  return { block: latest, blockTime: await blockTimeOf(node, latest), atCapTableBlock: latest === block, holders: now.holders };
}

async function readAt(node: NodeClient, tokenAddress: string, addresses: string[], block: number): Promise<{ holders: Map<string, HolderCompliance>; answered: number }> {
  const reader = new AccountViewReader(node, tokenAddress, block, HOLDING_VIEW, undefined, HOLDINGS_PER_MULTICALL);
  let read: Map<string, HolderCompliance | null>;
  try {
    read = await reader.read(addresses);
  } catch (error) {
    // A node without the block's state refuses even eth_getCode there ("missing trie node").
    if (error instanceof RpcError) return { holders: new Map(), answered: 0 };
    throw error;
  }
  const holders = new Map<string, HolderCompliance>();
  for (const [address, value] of read) if (value !== null) holders.set(address, value);
  return { holders, answered: holders.size };
}

async function blockTimeOf(node: NodeClient, block: number): Promise<number | null> {
  try {
    const header = await node.call<{ timestamp?: unknown } | null>("eth_getBlockByNumber", [toBlockTag(block), false]);
    return typeof header?.timestamp === "string" ? Number(BigInt(header.timestamp)) : null;
  } catch (error) {
    if (error instanceof RpcError) return null;
    throw error;
  }
}

/**
 * Reads the listed holders' locked and frozen amounts at the cap table's block into
 * `table.compliance`, with a warning for whatever does not describe the cap table's own moment.
 */
export async function addHolderCompliance(table: CapTable, node: NodeClient): Promise<void> {
  const compliance = await readHolderCompliance(node, table.token.address, table.entries.map((entry) => entry.address), table.atBlock);
  table.compliance = compliance;
  if (!compliance.atCapTableBlock) {
    table.warnings.push(
      `the node keeps no state at block ${table.atBlock}: the locked and frozen amounts are the current ones (block ${compliance.block}), not those of the cap table's moment`,
    );
  }
  const missing = table.entries.filter((entry) => !compliance.holders.has(entry.address)).length;
  if (missing > 0) table.warnings.push(`the token did not answer holding(address) for ${missing} holder(s): their locked and frozen amounts are shown as ?`);
  if (table.atTime !== null && compliance.atCapTableBlock && compliance.blockTime !== null && table.atTime > compliance.blockTime) {
    table.warnings.push(
      `locked amounts are those at block ${compliance.block} (${isoTime(compliance.blockTime)}); lock-ups released between then and ${isoTime(table.atTime)} still count as locked`,
    );
  }
}
