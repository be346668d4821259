/** How a global option's text is interpreted. */
export type OptionKind = "string" | "path" | "integer" | "boolean" | "gwei" | "secret";

export interface GlobalOptionSpec {
  /** The INI key, identical to the long flag without dashes (as in the original tool). */
  key: string;
  /** Property name commander gives the parsed flag. */
  attribute: string;
  kind: OptionKind;
  description: string;
  /** Placeholder shown in --help. */
  valueName?: string;
  /** Environment variable read when neither the command line nor the INI file sets the option. */
  env?: string;
  /** Options that only make sense on the command line (not read from the INI file). */
  commandLineOnly?: boolean;
}

/**
 * The global options of the manual plus a few of ours. A value given on the command line wins
 * over the environment, which wins over the INI file.
 */
export const GLOBAL_OPTIONS: readonly GlobalOptionSpec[] = [
  { key: "config", attribute: "config", kind: "path", valueName: "path", commandLineOnly: true,
    description: "INI file where to read options from (alias --config-file)" },
  { key: "database-file", attribute: "databaseFile", kind: "path", valueName: "path", env: "STO_DATABASE_FILE",
    description: "SQLite file that persists transaction broadcast status (default: transactions.sqlite)" },
  { key: "database-url", attribute: "databaseUrl", kind: "secret", valueName: "url", env: "STO_DATABASE_URL",
    description: "postgresql://user@host:port/database: a shared audit database on PostgreSQL instead of the SQLite file (password from PGPASSWORD or ~/.pgpass; never printed)" },
  { key: "network", attribute: "network", kind: "string", valueName: "name", env: "STO_NETWORK",
    description: "network name: local (default, the embedded chain), ethereum, sepolia, holesky or one defined in the INI file" },
  { key: "ethereum-node-url", attribute: "ethereumNodeUrl", kind: "string", valueName: "url", env: "STO_ETHEREUM_NODE_URL",
    description: "JSON-RPC URL of the Ethereum node (default for local: http://127.0.0.1:8545)" },
  { key: "ethereum-abi-file", attribute: "ethereumAbiFile", kind: "path", valueName: "path",
    description: "solc JSON output (standard-JSON or --combined-json) to override the default smart contracts" },
  { key: "ethereum-gas-price", attribute: "ethereumGasPrice", kind: "gwei", valueName: "gwei",
    description: "force a legacy gas price in gwei (default: EIP-1559 fees from the node)" },
  { key: "ethereum-gas-limit", attribute: "ethereumGasLimit", kind: "integer", valueName: "gas",
    description: "force the gas limit of every prepared transaction (default: estimated)" },
  { key: "ethereum-private-key", attribute: "ethereumPrivateKey", kind: "secret", valueName: "hex", env: "STO_ETHEREUM_PRIVATE_KEY",
    description: "private key of the broadcasting account (prefer the STO_ETHEREUM_PRIVATE_KEY environment variable or a keystore)" },
  { key: "ethereum-keystore", attribute: "ethereumKeystore", kind: "path", valueName: "path", env: "STO_ETHEREUM_KEYSTORE",
    description: "encrypted JSON keystore of the broadcasting account; password from STO_KEYSTORE_PASSWORD or a prompt" },
  { key: "ethereum-account-address", attribute: "ethereumAccountAddress", kind: "string", valueName: "address", env: "STO_ETHEREUM_ACCOUNT_ADDRESS",
    description: "the broadcasting account's address when its key is not on this machine: prepare, export and broadcast offline-signed transactions" },
  { key: "etherscan-api-key", attribute: "etherscanApiKey", kind: "secret", valueName: "key", env: "STO_ETHERSCAN_API_KEY",
    description: "EtherScan API key used for contract source code verification" },
  { key: "etherscan-api-url", attribute: "etherscanApiUrl", kind: "string", valueName: "url",
    description: "base URL of the Etherscan-compatible verification API (default: the network's)" },
  { key: "log-level", attribute: "logLevel", kind: "string", valueName: "level", env: "STO_LOG_LEVEL",
    description: "verbosity of diagnostics on stderr: debug, info (default), warning, error" },
  { key: "auto-restart-nonce", attribute: "autoRestartNonce", kind: "boolean", valueName: "bool",
    description: "take the broadcasting account's nonce from the network when the database has none for it (default: true)" },
  { key: "json", attribute: "json", kind: "boolean", commandLineOnly: true,
    description: "print machine-readable JSON on stdout instead of tables" },
  { key: "quiet", attribute: "quiet", kind: "boolean", commandLineOnly: true,
    description: "print only errors and the essential result" },
  { key: "wide", attribute: "wide", kind: "boolean", commandLineOnly: true,
    description: "print tables whole (full hashes and addresses, every column) instead of fitting them to the terminal's width" },
];
