/**
 * ethers' side of the connection: the provider over sto's transport, and the node client of any
 * provider. ethers is loaded when the first provider is made, not with this module: a command
 * that reads the node only through the transport (token-scan) never loads it (about 100 ms).
 */
import type { JsonRpcPayload, JsonRpcProvider, JsonRpcResult } from "ethers";
import { RpcError, type JsonRpcTransport, type NodeClient, type RpcRequest } from "./rpc";

/** ethers' JsonRpcProvider over the one transport, for a chain id already checked. */
export interface ResilientJsonRpcProvider extends JsonRpcProvider {
  readonly transport: JsonRpcTransport;
}

type ResilientProviderClass = new (transport: JsonRpcTransport, chainId: number) => ResilientJsonRpcProvider;
let resilientProviderClass: ResilientProviderClass | undefined;

function providerClass(): ResilientProviderClass {
  if (resilientProviderClass) return resilientProviderClass;
  const { JsonRpcProvider, Network } = require("ethers") as typeof import("ethers");
  class Resilient extends JsonRpcProvider implements ResilientJsonRpcProvider {
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
  return (resilientProviderClass = Resilient);
}

/** A ResilientJsonRpcProvider sending through `transport`; destroying it closes the transport. */
export function createResilientProvider(transport: JsonRpcTransport, chainId: number): ResilientJsonRpcProvider {
  return new (providerClass())(transport, chainId);
}

function isResilient(provider: JsonRpcProvider): provider is ResilientJsonRpcProvider {
  // No provider of ours exists before the class is made.
  return resilientProviderClass !== undefined && provider instanceof resilientProviderClass;
}

/**
 * The node behind an ethers provider, for the raw reads (ERC-20 metadata, eth_getLogs): the CLI's
 * provider hands out its transport; a plain provider (tests, programs using sto as a library) is
 * adapted, its error answers turned back into RpcError.
 */
export function nodeClient(provider: JsonRpcProvider): NodeClient {
  if (isResilient(provider)) return provider.transport;
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
  return isResilient(provider) ? provider.transport : undefined;
}
