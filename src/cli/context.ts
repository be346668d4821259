import type { FieldNamer } from "../errors";
import readline from "node:readline";
import { Writable } from "node:stream";
import type { ChainConnection } from "../chain/connection";
import type { BroadcastAccount, BroadcastSigner } from "../chain/signer";
import { ContractArtifacts } from "../contracts/artifacts";
import type { StoConfig } from "../config/resolve";
import { describeTarget } from "../config/database";
import { openAuditDatabase, type StoDatabase } from "../db/database";
import { checkNetworkChainId } from "../db/networks";
import { StoError } from "../errors";
import { Output } from "./output";

/**
 * What one command run needs, created lazily and at most once: the database is opened once, the
 * chain connection made in one place, the signer loaded once. Closed when the command ends.
 */
export class CommandContext {
  readonly out: Output;
  private database?: Promise<StoDatabase>;
  private connection?: ChainConnection & { genesisHash: string | null };
  private databaseChecked = false;
  private contractArtifacts?: ContractArtifacts;
  private broadcastAccount?: BroadcastAccount;

  constructor(readonly config: StoConfig, fieldNames?: FieldNamer) {
    this.out = new Output({ json: config.json, quiet: config.quiet, logLevel: config.logLevel, width: config.wide ? undefined : terminalWidth() });
    if (fieldNames) this.out.fieldNames = fieldNames;
    for (const warning of config.warnings) this.out.warn(warning);
  }

  db(): Promise<StoDatabase> {
    if (!this.database) {
      this.database = openAuditDatabase(this.config.database);
      this.out.debug(`database ${describeTarget(this.config.database)}`);
    }
    return this.database;
  }

  /** Connects to the node and checks its chain id and genesis block against the network and the database. */
  async chain(): Promise<ChainConnection> {
    const connection = await this.uncheckedChain();
    if (!this.databaseChecked) {
      await checkNetworkChainId(await this.db(), this.config.network.name, connection.chainId, connection.genesisHash);
      this.databaseChecked = true;
    }
    return connection;
  }

  /**
   * The node, with its chain id checked against the configured network but not against the
   * database: for diagnose, which reports a database of another chain instead of stopping.
   */
  async uncheckedChain(): Promise<ChainConnection & { genesisHash: string | null }> {
    if (!this.connection) {
      // Loaded here: commands that never talk to a node (cap-table) do not load ethers' providers.
      const { connectChain, readGenesisHash } = await import("../chain/connection");
      const connection = await connectChain(this.config, { debug: (message) => this.out.debug(`node: ${message}`) });
      const genesisHash = await readGenesisHash(connection.transport).catch((error: unknown) => {
        connection.close();
        throw error;
      });
      // Assigned, not spread: a spread would read the lazy provider (and load ethers).
      this.connection = Object.assign(connection, { genesisHash });
    }
    return this.connection;
  }

  artifacts(): ContractArtifacts {
    if (!this.contractArtifacts) {
      this.contractArtifacts = new ContractArtifacts(undefined, this.config.abiFile);
    }
    return this.contractArtifacts;
  }

  /** The broadcasting account; its signer only when the key is on this machine. */
  async account(): Promise<BroadcastAccount> {
    if (!this.broadcastAccount) {
      const { loadAccount } = await import("../chain/signer");
      this.broadcastAccount = await loadAccount(this.config, (message) => this.out.warn(message), askHidden);
    }
    return this.broadcastAccount;
  }

  /** The broadcasting account's signer; an error when only its address is configured. */
  async signer(): Promise<BroadcastSigner> {
    const account = await this.account();
    if (!account.signer) {
      throw new StoError(
        `this command signs, but only ethereum-account-address ${account.address} is configured: give its key (STO_ETHEREUM_PRIVATE_KEY or --ethereum-keystore), or sign offline with tx-export / tx-sign / tx-import`,
      );
    }
    return account.signer;
  }

  async close(): Promise<void> {
    this.connection?.close();
    // A database that failed to open has nothing to close.
    const database = await this.database?.catch(() => undefined);
    await database?.close();
  }
}

/** The width of the terminal standard output is, if it is one: tables are fitted to it. */
function terminalWidth(): number | undefined {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}

/** Reads a password from the terminal without echoing it. */
async function askHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new StoError("no terminal to ask the keystore password on: set STO_KEYSTORE_PASSWORD");
  }
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  // The interface puts the terminal in raw mode (no echo); only then may the prompt invite typing,
  // or a password typed at once would be echoed by the terminal itself.
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stdin.setRawMode(true);
  process.stderr.write(prompt);
  try {
    return await new Promise<string>((resolve) => rl.question("", resolve));
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
