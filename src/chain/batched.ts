import { isBatchRefusal } from "./failures";
import { BatchUnsupportedError, MissingFromBatchError, RpcError, type NodeClient, type RpcRequest } from "./rpc";

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
  /** False: the caller knows the node refuses batches; every request goes alone. */
  batches?: boolean;
  /** Called when the node refuses a batch (the requests then go alone), for a caller that remembers it. */
  onBatchRefused?: () => void;
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
  const alone = () => inParallel(requests, parallel * 2, (request) => single<T>(node, request));
  if (options.batches === false) return alone();
  let answers: (T | RpcError)[];
  try {
    answers = (await inParallel(chunks(requests, perBatch), parallel, (slice) => node.batch<T>(slice))).flat();
  } catch (error) {
    if (!(error instanceof BatchUnsupportedError)) throw error;
    options.onBatchRefused?.();
    return alone();
  }
  // A node that limits batches (geth's "batch too large", a provider's batch limit) or left
  // requests out of its answer: those are asked again one by one.
  const unanswered = answers.flatMap((answer, index) => (isUnanswered(answer) ? [index] : []));
  const again = await inParallel(unanswered, parallel * 2, (index) => single<T>(node, requests[index]));
  unanswered.forEach((index, position) => (answers[index] = again[position]));
  return answers;
}

/** A batch's answer that is not the node's answer to the request: it was left out, or the batch refused. */
export function isUnanswered(answer: unknown): boolean {
  return answer instanceof MissingFromBatchError || (answer instanceof RpcError && isBatchRefusal({ code: answer.code, message: answer.rpcMessage }));
}

async function single<T>(node: NodeClient, request: RpcRequest): Promise<T | RpcError> {
  try {
    return await node.call<T>(request.method, request.params);
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
}
