import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { StoError, ExitCode } from "../errors";
import type { StoConfig } from "../config/resolve";

/** A live connection to the configured node, whose chain id has been checked. */
export interface ChainConnection {
  provider: JsonRpcProvider;
  chainId: number;
  close(): void;
}

/** Hides credentials in node URLs (Infura-style project ids in paths, user:password, query keys). */
export function describeNodeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.length > 12 ? `${parsed.pathname.slice(0, 8)}…` : parsed.pathname;
    return `${parsed.protocol}//${parsed.host}${path === "/" ? "" : path}`;
  } catch {
    return "(invalid url)";
  }
}

/**
 * Connects to the node, reads its chain id and checks it against the configured network.
 * Never retries forever: an unreachable node is a one-line error.
 */
export async function connectChain(config: StoConfig): Promise<ChainConnection> {
  if (config.network.retiredReason) throw new StoError(config.network.retiredReason);
  if (!config.nodeUrl) {
    throw new StoError(`network ${config.network.name} needs a node: set ethereum-node-url in the INI file or pass --ethereum-node-url`);
  }
  const chainId = await fetchChainId(config.nodeUrl, config);
  if (chainId !== config.network.chainId) {
    throw new StoError(
      `the node at ${describeNodeUrl(config.nodeUrl)} is on chain id ${chainId}, but network ${config.network.name} is chain id ${config.network.chainId}: check --network and --ethereum-node-url`,
      ExitCode.StateMismatch,
    );
  }
  const request = new FetchRequest(config.nodeUrl);
  request.timeout = 60_000;
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: Network.from(chainId),
    // ethers would answer identical calls within 250 ms from a cache: a nonce read twice around a
    // send must come from the node both times.
    cacheTimeout: -1,
    batchMaxCount: 1,
    polling: true,
    pollingInterval: 500,
  });
  return { provider, chainId, close: () => provider.destroy() };
}

async function fetchChainId(url: string, config: StoConfig): Promise<number> {
  const request = new FetchRequest(url);
  request.timeout = 15_000;
  request.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
  request.setHeader("content-type", "application/json");
  let response;
  try {
    response = await request.send();
  } catch (error) {
    const hint = config.network.isLocal ? ': start the local chain with "sto node" (or "npm run node") in another terminal' : "";
    throw new StoError(
      `cannot reach the Ethereum node at ${describeNodeUrl(url)} (${shortReason(error)})${hint}`,
      ExitCode.Network,
    );
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new StoError(`the Ethereum node at ${describeNodeUrl(url)} answered HTTP ${response.statusCode}`, ExitCode.Network);
  }
  const body = response.bodyJson as { result?: string; error?: { message?: string } };
  if (typeof body.result !== "string") {
    throw new StoError(
      `the Ethereum node at ${describeNodeUrl(url)} did not return a chain id (${body.error?.message ?? "no result"})`,
      ExitCode.Network,
    );
  }
  return Number(BigInt(body.result));
}

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED/.test(message)) return "connection refused";
  if (/timeout/i.test(message)) return "timed out";
  return message.split("\n")[0].slice(0, 120);
}
