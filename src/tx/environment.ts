import { getAddress, type JsonRpcProvider, type Wallet } from "ethers";
import { ContractArtifacts } from "../contracts/artifacts";
import type { StoDatabase } from "../db/database";
import { checkNetworkChainId } from "../db/networks";

/**
 * What the transaction services need, resolved once by the caller (the CLI or a program):
 * the audit database, the node, the broadcasting account and the gas settings.
 */
export interface TxEnvironment {
  db: StoDatabase;
  provider: JsonRpcProvider;
  network: string;
  chainId: number;
  /** Checksummed address of the broadcasting account. */
  address: string;
  artifacts: ContractArtifacts;
  /** Forced gas limit for every transaction. */
  gasLimit?: bigint;
  /** Forced legacy gas price in wei; EIP-1559 fees from the node otherwise. */
  gasPriceWei?: bigint;
  /** On a database that has no nonce for this account, start from the network's nonce. */
  autoRestartNonce: boolean;
  /** Diagnostics (debug level). */
  debug?: (message: string) => void;
}

/** An environment that can also sign: only tx-broadcast (and commands that broadcast) need it. */
export interface SigningEnvironment extends TxEnvironment {
  wallet: Wallet;
}

/** What a program gives to build a TxEnvironment; the rest is read from the node or defaulted. */
export interface TxEnvironmentOptions {
  db: StoDatabase;
  provider: JsonRpcProvider;
  /** The network name the database records transactions under (e.g. "ethereum", "local"). */
  network: string;
  /** The broadcasting account. */
  address: string;
  /** Default: the contracts built with this package. */
  artifacts?: ContractArtifacts;
  gasLimit?: bigint;
  gasPriceWei?: bigint;
  /** Default true, as on the command line. */
  autoRestartNonce?: boolean;
  debug?: (message: string) => void;
}

/**
 * The environment the transaction services need, for programs using sto as a library: reads the
 * node's chain id and checks it against the one the database recorded for the network, as every
 * command does (a mismatch stops with a StoError).
 */
export async function createTxEnvironment(options: TxEnvironmentOptions): Promise<TxEnvironment> {
  const chainId = Number((await options.provider.getNetwork()).chainId);
  await checkNetworkChainId(options.db, options.network, chainId);
  return {
    db: options.db,
    provider: options.provider,
    network: options.network,
    chainId,
    address: getAddress(options.address),
    artifacts: options.artifacts ?? new ContractArtifacts(),
    gasLimit: options.gasLimit,
    gasPriceWei: options.gasPriceWei,
    autoRestartNonce: options.autoRestartNonce ?? true,
    debug: options.debug,
  };
}
