import { StoError, type FieldText } from "../errors";
import { LOCAL_CHAIN_ID } from "../chain/local-node";

export interface NetworkDefinition {
  name: string;
  chainId: number;
  /** Node URL used when none is configured; only the local chain has one. */
  defaultNodeUrl?: string;
  /** Block explorer API used by tx-verify. */
  etherscanApiUrl?: string;
  /** Confirmations before tx-update counts a transaction final. */
  confirmations: number;
  /** True for the embedded development chain whose keys are public. */
  isLocal: boolean;
  /**
   * Set for the original's test networks that no longer exist. Commands that do not need a node
   * (ethereum-create-account, tx-sign, version) still work; connecting gives this explanation.
   */
  retiredReason?: FieldText;
}

export const LOCAL_NODE_URL = "http://127.0.0.1:8545";

export const KNOWN_NETWORKS: Record<string, NetworkDefinition> = {
  local: {
    name: "local",
    chainId: LOCAL_CHAIN_ID,
    defaultNodeUrl: LOCAL_NODE_URL,
    confirmations: 1,
    isLocal: true,
  },
  ethereum: {
    name: "ethereum",
    chainId: 1,
    etherscanApiUrl: "https://api.etherscan.io/v2/api",
    confirmations: 12,
    isLocal: false,
  },
  sepolia: {
    name: "sepolia",
    chainId: 11155111,
    etherscanApiUrl: "https://api.etherscan.io/v2/api",
    confirmations: 3,
    isLocal: false,
  },
  holesky: {
    name: "holesky",
    chainId: 17000,
    etherscanApiUrl: "https://api.etherscan.io/v2/api",
    confirmations: 3,
    isLocal: false,
  },
};

/** Networks the original tool supported that no longer exist. */
const RETIRED_NETWORKS: Record<string, { chainId: number; reason: string }> = {
  kovan: { chainId: 42, reason: "the Kovan test network was shut down in 2022" },
  ropsten: { chainId: 3, reason: "the Ropsten test network was shut down in 2022" },
  rinkeby: { chainId: 4, reason: "the Rinkeby test network was shut down in 2023" },
  goerli: { chainId: 5, reason: "the Goerli test network was shut down in 2024" },
};

/** Aliases accepted for convenience. */
const ALIASES: Record<string, string> = { mainnet: "ethereum", hardhat: "local", localhost: "local" };

export interface CustomNetwork {
  chainId: number;
  nodeUrl?: string;
  etherscanApiUrl?: string;
  confirmations?: number;
}

/**
 * Looks a network name up among the known ones and the custom networks of the INI file.
 * Retired test networks get an explanation instead of a connection attempt.
 */
export function resolveNetwork(name: string, custom: Record<string, CustomNetwork> = {}): NetworkDefinition {
  const key = name.trim().toLowerCase();
  const customNetwork = custom[key];
  if (customNetwork) {
    return {
      name: key,
      chainId: customNetwork.chainId,
      defaultNodeUrl: customNetwork.nodeUrl,
      etherscanApiUrl: customNetwork.etherscanApiUrl,
      confirmations: customNetwork.confirmations ?? 3,
      isLocal: false,
    };
  }
  const retired = RETIRED_NETWORKS[key];
  if (retired) {
    return {
      name: key,
      chainId: retired.chainId,
      confirmations: 3,
      isLocal: false,
      retiredReason: (flag) =>
        `network "${name}": ${retired.reason}; use ${flag("network")}=sepolia (or holesky) for testing, or ${flag("network")}=local for the embedded local chain`,
    };
  }
  const known = KNOWN_NETWORKS[ALIASES[key] ?? key];
  if (!known) {
    const names = [...Object.keys(KNOWN_NETWORKS), ...Object.keys(custom)].join(", ");
    throw new StoError(
      `network "${name}" is unknown: use one of ${names}, or define [network.${key}] with chain-id in the INI file`,
    );
  }
  return known;
}
