import { RpcError } from "../chain/rpc";

/** Blocks probed per round of the creation search: one JSON-RPC batch each where the node accepts batches. */
export const CREATION_PROBES = 8;

/**
 * The block that created the contract: the first block with code, by a search over eth_getCode
 * (`hasCodeAt`, which answers for several blocks at once). Each round probes up to `probes` blocks
 * spread evenly over the blocks still in question, so a round divides them by `probes` + 1: about
 * 8 rounds on mainnet with 8 probes, against 25 one at a time (each a round trip). Block 0 is
 * probed in the first round. Needs historical state; a pruned node answers with an error and we
 * return undefined.
 */
export async function findCreationBlock(
  hasCodeAt: (blocks: number[]) => Promise<boolean[]>,
  latest: number,
  probes = CREATION_PROBES,
): Promise<number | undefined> {
  try {
    let low = 0; // no code here (once block 0 is known to have none)
    let high = latest; // code here
    let first = true;
    while (first || high - low > 1) {
      const points = first ? [0] : [];
      const gap = high - low;
      const count = Math.min(probes - points.length, gap - 1);
      for (let index = 1; index <= count; index++) {
        const point = low + Math.floor((gap * index) / (count + 1));
        if (point > low && point < high && point !== points[points.length - 1]) points.push(point);
      }
      const answers = await hasCodeAt(points);
      if (first && answers[0]) return 0;
      first = false;
      // The first probe with code bounds the search from above, the probe before it from below.
      for (let index = 0; index < points.length; index++) {
        if (answers[index]) {
          high = points[index];
          break;
        }
        low = points[index];
      }
    }
    return high;
  } catch (error) {
    if (error instanceof RpcError) return undefined;
    throw error;
  }
}
