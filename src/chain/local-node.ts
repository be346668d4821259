import type { EthereumProvider } from "hardhat/types";

/** The chain id of the embedded local chain (Hardhat's default). */
export const LOCAL_CHAIN_ID = 31337;

/** The well-known mnemonic of Hardhat's public development accounts: never use it for real funds. */
export const DEVELOPMENT_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of the first development account. It is public knowledge. */
export const DEVELOPMENT_PRIVATE_KEY =
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export interface LocalChainOptions {
  /** 0 picks a free port. */
  port?: number;
  hostname?: string;
  /** Number of funded development accounts. */
  accounts?: number;
  /** Mine every transaction at once (default) or leave them pending until evm_mine. */
  automine?: boolean;
  /** Interval mining instead: a block every this many milliseconds, with what the pool holds (automine off). */
  blockIntervalMs?: number;
  /** Print every JSON-RPC call the node serves, as `hardhat node` does. */
  logging?: boolean;
  /** Another chain id, for tests of a database used against the wrong chain. */
  chainId?: number;
}

export interface LocalChain {
  url: string;
  port: number;
  provider: EthereumProvider;
  close(): Promise<void>;
}

/**
 * Starts a Hardhat chain served over JSON-RPC on the loopback interface, in this process, with the
 * public development accounts funded. Used by `sto node`, the demo and the tests.
 */
export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const hostname = options.hostname ?? "127.0.0.1";
  // Hardhat is loaded here, not when this module is: every command imports the constants above,
  // and loading Hardhat's network code cost each of them about 50-100 ms of start-up.
  const { resolveConfig } = await import("hardhat/internal/core/config/config-resolution");
  const { createProvider } = await import("hardhat/internal/core/providers/construction");
  const { JsonRpcServer } = await import("hardhat/internal/hardhat-network/jsonrpc/server");
  const config = resolveConfig(__filename, {
    networks: {
      hardhat: {
        chainId: options.chainId ?? LOCAL_CHAIN_ID,
        hardfork: "cancun",
        accounts: { mnemonic: DEVELOPMENT_MNEMONIC, count: options.accounts ?? 20 },
        mining: options.blockIntervalMs ? { auto: false, interval: options.blockIntervalMs } : { auto: options.automine ?? true, interval: 0 },
        loggingEnabled: options.logging ?? false,
        allowBlocksWithSameTimestamp: true,
        // Behave like a real node: a reverting transaction is mined with status 0, and the
        // JSON-RPC call that sent it succeeds.
        throwOnTransactionFailures: false,
      },
    },
  });
  const provider = await createProvider(config, "hardhat");
  const server = new JsonRpcServer({ hostname, port: options.port ?? 0, provider });
  const { port } = await server.listen();
  return {
    url: `http://${hostname}:${port}`,
    port,
    provider,
    close: () => server.close(),
  };
}
