import { RpcError } from "../chain/rpc";

/**
 * The block that created the contract, by binary search over eth_getCode (`hasCodeAt`): about 25
 * calls on mainnet. Needs historical state; a pruned node answers with an error and we return
 * undefined.
 */
export async function findCreationBlock(hasCodeAt: (block: number) => Promise<boolean>, latest: number): Promise<number | undefined> {
  try {
    if (await hasCodeAt(0)) return 0;
    let low = 0; // no code here
    let high = latest; // code here
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await hasCodeAt(middle)) high = middle;
      else low = middle;
    }
    return high;
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
}
