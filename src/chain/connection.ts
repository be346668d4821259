import { JsonRpcProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { StoError, ExitCode } from "../errors";
import type { StoConfig } from "../config/resolve";
import {
  describeNodeUrl,
  JsonRpcTransport,
  NodeUnavailableError,
  oneLine,
  retryPolicyFromEnvironment,
  RpcError,
  type NodeClient,
  type RetryPolicy,
  type RpcRequest,
} from "./rpc";

/** A live connection to the configured node, whose chain id has been checked. */
export interface ChainConnection {
  /** ethers' provider for contract calls and signing; it sends through `transport`. */
  provider: JsonRpcProvider;
  /** The one transport, for callers that want the node's raw answers (token-scan, eth_getLogs). */
  transport: JsonRpcTransport;
  chainId: number;
  close(): void;
}

interface ConnectOptions {
  /** Diagnostics: each retry is reported here (debug level). */
  debug?: (message: string) => void;
  policy?: RetryPolicy;
}

/**
 * Connects to the node, reads its chain id and checks it against the configured network.
 * Never retries forever: an unreachable node is a one-line error.
 */
export async function connectChain(config: StoConfig, options: ConnectOptions = {}): Promise<ChainConnection> {
  if (config.network.retiredReason) throw new StoError(config.network.retiredReason);
  if (!config.nodeUrl) {
    throw new StoError((name) => `network ${config.network.name} needs a node: set ethereum-node-url in the INI file or pass ${name("ethereumNodeUrl")}`);
  }
  const transport = new JsonRpcTransport(config.nodeUrl, options.policy ?? retryPolicyFromEnvironment(), options.debug);
  let chainId: number;
  try {
    chainId = await fetchChainId(transport, config);
  } catch (error) {
    transport.close();
    throw error;
  }
  if (chainId !== config.network.chainId) {
    transport.close();
    throw new StoError(
      (name) =>
        `the node at ${describeNodeUrl(config.nodeUrl)} is on chain id ${chainId}, but network ${config.network.name} is chain id ${config.network.chainId}: check ${name("network")} and ${name("ethereumNodeUrl")}`,
      ExitCode.StateMismatch,
    );
  }
  const provider = new ResilientJsonRpcProvider(transport, chainId);
  return { provider, transport, chainId, close: () => provider.destroy() };
}

const CONNECT_POLICY: Partial<RetryPolicy> = { refusedAttempts: 3 };

async function fetchChainId(transport: JsonRpcTransport, config: StoConfig): Promise<number> {
  let answer: JsonRpcResult | JsonRpcError;
  try {
    // A node that is simply not running is not worth a minute of retries: refused connections
    // end the first request quickly, with the hint for the local chain.
    [answer] = await transport.send({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, CONNECT_POLICY);
  } catch (error) {
    if (error instanceof NodeUnavailableError && /connection refused/.test(error.message)) {
      const hint = config.network.isLocal ? ': start the local chain with "sto node" (or "npm run node") in another terminal' : "";
      throw new NodeUnavailableError(`cannot reach the Ethereum node at ${describeNodeUrl(config.nodeUrl)} (connection refused)${hint}`);
    }
    throw error;
  }
  if (!answer || !("result" in answer) || typeof answer.result !== "string" || !/^0x[0-9a-f]+$/i.test(answer.result)) {
    const message = answer && "error" in answer ? String(answer.error.message) : "no result";
    throw new NodeUnavailableError(`the Ethereum node at ${describeNodeUrl(config.nodeUrl)} did not return a chain id (${oneLine(message).slice(0, 120)})`);
  }
  return Number(BigInt(answer.result));
}

/**
 * The hash of the chain's block 0 (lowercase), which tells two chains with the same chain id apart;
 * null when the node does not serve it (some light or pruned nodes).
 */
export async function readGenesisHash(node: NodeClient): Promise<string | null> {
  let block: { hash?: unknown } | null;
  try {
    block = await node.call<{ hash?: unknown } | null>("eth_getBlockByNumber", ["0x0", false]);
  } catch (error) {
    if (error instanceof RpcError) return null;
    throw error;
  }
  return block && typeof block.hash === "string" && /^0x[0-9a-fA-F]{64}$/.test(block.hash) ? block.hash.toLowerCase() : null;
}

/** ethers' JsonRpcProvider over the one transport, for a chain id already checked. */
export class ResilientJsonRpcProvider extends JsonRpcProvider {
  readonly transport: JsonRpcTransport;

  constructor(transport: JsonRpcTransport, chainId: number) {
    const network = Network.from(chainId);
    super(undefined, network, {
      staticNetwork: network,
      batchMaxCount: 1,
      polling: true,
      pollingInterval: 500,
      // Identical calls within 250 ms would otherwise share one answer: a re-read after a write
      // (a nonce, a receipt) must ask the node again.
      cacheTimeout: -1,
    });
    this.transport = transport;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    // ethers types the answers of _send as results only, but reads errors from them as well.
    return (await this.transport.send(payload)) as JsonRpcResult[];
  }

  override destroy(): void {
    super.destroy();
    this.transport.close();
  }
}

/**
 * The node behind an ethers provider, for the raw reads (ERC-20 metadata, eth_getLogs): the CLI's
 * provider hands out its transport; a plain provider (tests, programs using sto as a library) is
 * adapted, its error answers turned back into RpcError.
 */
export function nodeClient(provider: JsonRpcProvider): NodeClient {
  if (provider instanceof ResilientJsonRpcProvider) return provider.transport;
  const call = async <T>(method: string, params: unknown[]): Promise<T> => {
    try {
      return (await provider.send(method, params)) as T;
    } catch (error) {
      const info = error as { info?: { error?: unknown }; error?: unknown };
      const answer = (info.info?.error ?? info.error) as { code?: unknown; message?: unknown; data?: unknown } | undefined;
      if (answer && typeof answer.message === "string") {
        throw new RpcError(method, typeof answer.code === "number" ? answer.code : undefined, answer.message, answer.data);
      }
      throw error;
    }
  };
  return {
    call,
    batch: async <T>(requests: RpcRequest[]) =>
      Promise.all(
        requests.map((request) =>
          call<T>(request.method, request.params).catch((error: unknown) => {
            if (error instanceof RpcError) return error;
            throw error;
          }),
        ),
      ),
  };
}


/**
 * The node client for requests that must reach the node in order as JSON-RPC batches (tx-broadcast's
 * sends): the CLI's transport; undefined for a plain ethers provider, whose adapter above sends the
 * requests of a "batch" separately and at once, in no guaranteed order.
 */
export function orderedBatchClient(provider: JsonRpcProvider): NodeClient | undefined {
  return provider instanceof ResilientJsonRpcProvider ? provider.transport : undefined;
}
