import type { JsonRpcProvider, Wallet } from "ethers";
import type { ContractArtifacts } from "../contracts/artifacts";
import type { StoDatabase } from "../db/database";

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
