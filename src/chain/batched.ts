import { BatchUnsupportedError, RpcError, type NodeClient, type RpcRequest } from "./rpc";

/** The items in slices of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let offset = 0; offset < items.length; offset += size) result.push(items.slice(offset, offset + size));
  return result;
}

/** Runs `work` over the items with at most `parallel` at a time; results in item order. */
export async function inParallel<T, R>(items: T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

export interface BatchedReadOptions {
  /** Requests per JSON-RPC batch. */
  perBatch?: number;
  /** Batches (or single requests, times two) in flight at once. */
  parallel?: number;
}

/**
 * Read-only requests sent as JSON-RPC batches, a few in flight at once; a node that refuses
 * batches gets them one by one. Each answer is the result or the node's RpcError, in request order.
 * Only for reads: a batch is retried as a whole by the transport.
 */
export async function batchedReads<T>(node: NodeClient, requests: RpcRequest[], options: BatchedReadOptions = {}): Promise<(T | RpcError)[]> {
  const perBatch = options.perBatch ?? 100;
  const parallel = options.parallel ?? 4;
  if (requests.length === 0) return [];
  try {
    const answers = await inParallel(chunks(requests, perBatch), parallel, (slice) => node.batch<T>(slice));
    return answers.flat();
  } catch (error) {
    if (!(error instanceof BatchUnsupportedError)) throw error;
  }
  return inParallel(requests, parallel * 2, async (request) => {
    try {
      return await node.call<T>(request.method, request.params);
    } catch (error) {
      if (error instanceof RpcError) return error;
      throw error;
    }
  });
}
