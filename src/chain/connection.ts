import type { JsonRpcError, JsonRpcProvider, JsonRpcResult } from "ethers";
import { StoError, ExitCode } from "../errors";
import { createResilientProvider } from "./provider";
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
} from "./rpc";

/** A live connection to the configured node, whose chain id has been checked. */
export interface ChainConnection {
  /**
   * ethers' provider for contract calls and signing; it sends through `transport`. Made on first
   * use: ethers takes about 100 ms to load, which a command reading the node only through the
   * transport (token-scan) does not pay.
   */
  readonly provider: JsonRpcProvider;
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
  let provider: JsonRpcProvider | undefined;
  return {
    get provider(): JsonRpcProvider {
      return (provider ??= createResilientProvider(transport, chainId));
    },
    transport,
    chainId,
    // The provider's destroy() closes the transport too.
    close: () => (provider ? provider.destroy() : transport.close()),
  };
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
