import path from "node:path";
import ini from "ini";
import { StoError, type FieldText } from "../errors";
import { readInputText } from "../files";
import { GLOBAL_OPTIONS, type GlobalOptionSpec } from "./options";
import { resolveNetwork, type CustomNetwork, type NetworkDefinition } from "./networks";
import { Secret } from "./secrets";
import { parseDatabaseUrl, type DatabaseTarget } from "./database";

export type LogLevel = "debug" | "info" | "warning" | "error";

/** Everything a command needs to know about its environment, resolved once per run. */
export interface StoConfig {
  network: NetworkDefinition;
  /** Empty when no node is configured for a network that has no default. */
  nodeUrl: string;
  /** The SQLite file when the database is SQLite (also the default file name otherwise). */
  databaseFile: string;
  /** The audit database: the SQLite file, or PostgreSQL with --database-url. */
  database: DatabaseTarget;
  abiFile?: string;
  /** Forced legacy gas price, in wei. */
  gasPriceWei?: bigint;
  /** Forced gas limit. */
  gasLimit?: bigint;
  privateKey?: Secret;
  keystoreFile?: string;
  /** Watch-only broadcasting account: its key signs elsewhere (tx-sign). */
  accountAddress?: string;
  etherscanApiKey?: Secret;
  etherscanApiUrl?: string;
  logLevel: LogLevel;
  autoRestartNonce: boolean;
  json: boolean;
  quiet: boolean;
  /** Tables printed whole instead of fitted to the terminal. */
  wide: boolean;
  /** The INI file the configuration was read from, if any. */
  configFile?: string;
  /** Things about the configuration the user should hear once (printed by the CLI as warnings). */
  warnings: FieldText[];
}

/** Raw option values as commander parsed them: only the ones given on the command line are set. */
export type CommandLineValues = Record<string, string | boolean | undefined>;

export const DEFAULT_DATABASE_FILE = "transactions.sqlite";

/**
 * Resolves the global options: command line first, then environment variables, then the INI file,
 * then defaults. Every value is validated here, so commands receive a typed, trusted object.
 */
export function resolveConfig(
  commandLine: CommandLineValues,
  env: NodeJS.ProcessEnv = process.env,
): StoConfig {
  const configFile = typeof commandLine.config === "string" ? commandLine.config : undefined;
  const fromIni = configFile ? readIniFile(configFile) : { values: {}, networks: {} };

  const raw = (spec: GlobalOptionSpec): { value: string | boolean; origin: string } | undefined => {
    const cli = commandLine[spec.attribute];
    if (cli !== undefined) return { value: cli, origin: `--${spec.key}` };
    if (spec.env && env[spec.env] !== undefined && env[spec.env] !== "") {
      return { value: env[spec.env] as string, origin: `environment variable ${spec.env}` };
    }
    const fromFile = fromIni.values[spec.key];
    if (fromFile !== undefined) return { value: fromFile, origin: `${configFile}: ${spec.key}` };
    return undefined;
  };
  const spec = (key: string): GlobalOptionSpec => {
    const found = GLOBAL_OPTIONS.find((option) => option.key === key);
    if (!found) throw new Error(`no global option ${key}`);
    return found;
  };
  const text = (key: string): { value: string; origin: string } | undefined => {
    const found = raw(spec(key));
    if (!found) return undefined;
    return { value: String(found.value).trim(), origin: found.origin };
  };
  // A value given empty on purpose (`--database-file=`) is a mistake, not a request for the default.
  const nonEmpty = (key: string): { value: string; origin: string } | undefined => {
    const found = text(key);
    if (found && found.value === "" && !found.origin.startsWith("environment variable")) {
      throw new StoError(`${found.origin}: empty; give a value or leave the option out`);
    }
    return found;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const found = raw(spec(key));
    if (!found) return fallback;
    return parseBoolean(found.value, found.origin);
  };

  const network = resolveNetwork(text("network")?.value ?? "local", fromIni.networks);

  const nodeUrlOption = nonEmpty("ethereum-node-url");
  // A missing URL is an error only for commands that connect (tx-sign works offline).
  const nodeUrl = nodeUrlOption?.value || network.defaultNodeUrl || "";
  if (nodeUrl) validateUrl(nodeUrl, nodeUrlOption?.origin ?? "ethereum-node-url");

  const gasPrice = text("ethereum-gas-price");
  const gasLimit = text("ethereum-gas-limit");
  const privateKey = text("ethereum-private-key");
  const etherscanKey = text("etherscan-api-key");
  const accountAddress = text("ethereum-account-address");
  const etherscanUrl = text("etherscan-api-url");
  if (etherscanUrl) validateUrl(etherscanUrl.value, etherscanUrl.origin);

  const databaseFile = nonEmpty("database-file");
  const databaseUrl = nonEmpty("database-url");
  if (databaseFile?.value && databaseUrl?.value) {
    throw new StoError(
      `both a SQLite file (${databaseFile.origin}) and a PostgreSQL database (${databaseUrl.origin}) are given: keep one; to move a SQLite database to PostgreSQL use db-copy`,
    );
  }
  const database: DatabaseTarget = databaseUrl?.value
    ? parseDatabaseUrl(databaseUrl.value, databaseUrl.origin)
    : { engine: "sqlite", file: databaseFile?.value || DEFAULT_DATABASE_FILE };
  const warnings: FieldText[] = [];
  if (privateKey?.origin === "--ethereum-private-key") {
    warnings.push(
      (name) =>
        `the private key was given on the command line, where other users of this machine can read it in the process list (and it stays in the shell history): prefer STO_ETHEREUM_PRIVATE_KEY or ${name("ethereumKeystore")}`,
    );
  }
  if (databaseUrl?.origin === "--database-url" && database.engine === "postgresql" && new URL(database.url.reveal()).password !== "") {
    warnings.push(
      "the database password was given on the command line, where other users of this machine can read it in the process list: prefer PGPASSWORD, ~/.pgpass or STO_DATABASE_URL",
    );
  }

  return {
    network,
    nodeUrl,
    databaseFile: databaseFile?.value || DEFAULT_DATABASE_FILE,
    database,
    abiFile: nonEmpty("ethereum-abi-file")?.value || undefined,
    gasPriceWei: gasPrice ? parseGwei(gasPrice.value, gasPrice.origin) : undefined,
    gasLimit: gasLimit ? parsePositiveInteger(gasLimit.value, gasLimit.origin) : undefined,
    privateKey: privateKey ? new Secret(normalisePrivateKey(privateKey.value, privateKey.origin)) : undefined,
    keystoreFile: nonEmpty("ethereum-keystore")?.value || undefined,
    accountAddress: accountAddress ? parseAccountAddress(accountAddress.value, accountAddress.origin) : undefined,
    etherscanApiKey: etherscanKey?.value ? new Secret(etherscanKey.value) : undefined,
    etherscanApiUrl: etherscanUrl?.value || network.etherscanApiUrl,
    logLevel: parseLogLevel(text("log-level")),
    autoRestartNonce: bool("auto-restart-nonce", true),
    json: bool("json", false),
    quiet: bool("quiet", false),
    wide: bool("wide", false),
    configFile,
    warnings,
  };
}

interface IniContents {
  values: Record<string, string>;
  networks: Record<string, CustomNetwork>;
}

const NETWORK_SECTION_KEYS = ["chain-id", "ethereum-node-url", "etherscan-api-url", "confirmations"];

/**
 * Reads an INI file; unknown keys are errors, so a typo never silently falls back to a default.
 *
 * The `ini` package alone cannot be trusted with the documented layout: it nests `[network.NAME]`
 * under the key `network`, which overwrites a top-level `network = NAME`, and it lets a repeated key
 * win silently. So the file is split into its top part and its sections first, each is parsed on its
 * own, and anything that would not be read exactly as written is an error.
 */
export function readIniFile(file: string): IniContents {
  const source = readInputText(file, "configuration");
  if (source.includes("\u0000")) throw new StoError(`${file}: not a text INI file`);
  const blocks = splitIniSections(file, source.replace(/^\uFEFF/, ""));
  const values: Record<string, string> = {};
  const networks: Record<string, CustomNetwork> = {};
  const allowed = new Set(GLOBAL_OPTIONS.filter((option) => !option.commandLineOnly).map((option) => option.key));
  for (const block of blocks) {
    const entries = parseIniBlock(file, block);
    if (block.section === undefined) {
      for (const [key, value] of Object.entries(entries)) {
        if (!allowed.has(key)) {
          throw new StoError(`${file}:${block.keyLines.get(key) ?? 1}: unknown key "${key}"; known keys: ${[...allowed].join(", ")}`);
        }
        values[key] = value;
      }
      continue;
    }
    const match = /^network\.([a-z0-9_-]+)$/i.exec(block.section);
    if (!match) {
      if (/^network\./i.test(block.section)) {
        throw new StoError(`${file}:${block.line}: [${block.section}] is not a valid network name (letters, digits, - and _)`);
      }
      throw new StoError(`${file}:${block.line}: unknown section [${block.section}]; only [network.NAME] sections are read`);
    }
    const name = match[1].toLowerCase();
    if (networks[name]) throw new StoError(`${file}:${block.line}: [${block.section}] appears twice`);
    networks[name] = readNetworkSection(file, block.section, entries);
  }
  return { values, networks };
}

interface IniBlock {
  /** Undefined for the lines before the first section header. */
  section?: string;
  /** Line number of the section header (1-based). */
  line: number;
  text: string;
  /** The line each key was found on, for error messages. */
  keyLines: Map<string, number>;
}

function splitIniSections(file: string, source: string): IniBlock[] {
  const blocks: IniBlock[] = [{ line: 1, text: "", keyLines: new Map() }];
  const lines = source.split(/\r?\n/);
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    const trimmed = line.trim();
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      blocks.push({ section: header[1].trim(), line: lineNumber, text: "", keyLines: new Map() });
      return;
    }
    const block = blocks[blocks.length - 1];
    block.text += `${line}\n`;
    if (trimmed === "" || trimmed.startsWith(";") || trimmed.startsWith("#")) return;
    if (trimmed.startsWith("[")) throw new StoError(`${file}:${lineNumber}: malformed section header`);
    const keyMatch = /^([^=]*?)\s*(=|$)/.exec(trimmed);
    const key = (keyMatch?.[1] ?? trimmed).trim();
    if (key.endsWith("[]")) throw new StoError(`${file}:${lineNumber}: "${truncate(key)}": lists are not supported`);
    if (block.keyLines.has(key)) {
      const where = block.section === undefined ? "" : ` in [${block.section}]`;
      throw new StoError(`${file}:${lineNumber}: "${truncate(key)}" is set twice${where} (first on line ${block.keyLines.get(key)}); say it once`);
    }
    block.keyLines.set(key, lineNumber);
  });
  return blocks;
}

/** Parses one block (no section headers inside); every value must come out as one string. */
function parseIniBlock(file: string, block: IniBlock): Record<string, string> {
  const parsed = ini.parse(block.text) as Record<string, unknown>;
  const entries: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "object" && value !== null) {
      throw new StoError(`${file}:${block.keyLines.get(key) ?? block.line}: "${truncate(key)}" cannot be read as one value`);
    }
    entries[key] = String(value);
  }
  return entries;
}

function readNetworkSection(file: string, section: string, entries: Record<string, string>): CustomNetwork {
  for (const key of Object.keys(entries)) {
    if (!NETWORK_SECTION_KEYS.includes(key)) {
      throw new StoError(`${file}: [${section}] unknown key "${key}"; known keys: ${NETWORK_SECTION_KEYS.join(", ")}`);
    }
  }
  const chainId = entries["chain-id"];
  if (chainId === undefined) throw new StoError(`${file}: [${section}] needs chain-id`);
  const nodeUrl = entries["ethereum-node-url"] === undefined ? undefined : String(entries["ethereum-node-url"]);
  if (nodeUrl) validateUrl(nodeUrl, `${file}: [${section}] ethereum-node-url`);
  const confirmations = entries.confirmations;
  return {
    chainId: parseChainId(chainId, `${file}: [${section}] chain-id`),
    nodeUrl,
    etherscanApiUrl: entries["etherscan-api-url"] === undefined ? undefined : String(entries["etherscan-api-url"]),
    confirmations:
      confirmations === undefined
        ? undefined
        : Number(parsePositiveInteger(String(confirmations), `${file}: [${section}] confirmations`)),
  };
}

export function parseBoolean(value: string | boolean, origin: string): boolean {
  if (typeof value === "boolean") return value;
  const normalised = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(normalised)) return true;
  if (["0", "false", "no", "off"].includes(normalised)) return false;
  throw new StoError(`${origin}: "${truncate(value)}" is not a boolean (use true or false)`);
}

/** A chain id: a positive integer that JavaScript numbers hold exactly (every real chain's does). */
function parseChainId(value: string, origin: string): number {
  const id = parsePositiveInteger(value, origin);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoError(`${origin}: "${truncate(value)}" is too large for a chain id`);
  return Number(id);
}

export function parsePositiveInteger(value: string, origin: string): bigint {
  if (!/^[0-9]{1,30}$/.test(value) || BigInt(value) <= 0n) {
    throw new StoError(`${origin}: "${truncate(value)}" is not a positive integer`);
  }
  return BigInt(value);
}

function parseGwei(value: string, origin: string): bigint {
  if (!/^[0-9]{1,12}(\.[0-9]{1,9})?$/.test(value)) {
    throw new StoError(`${origin}: "${truncate(value)}" is not a gas price in gwei (e.g. 20 or 1.5)`);
  }
  // Exact decimal scaling (the pattern above allows at most 9 decimals), as parseUnits(value, "gwei").
  const [whole, fraction = ""] = value.split(".");
  const wei = BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0"));
  if (wei <= 0n) throw new StoError(`${origin}: the gas price must be above zero`);
  return wei;
}

function parseLogLevel(option: { value: string; origin: string } | undefined): LogLevel {
  if (!option) return "info";
  const level = option.value.toLowerCase();
  const aliases: Record<string, LogLevel> = {
    debug: "debug", info: "info", warning: "warning", warn: "warning", error: "error", critical: "error",
  };
  const resolved = aliases[level];
  if (!resolved) throw new StoError(`${option.origin}: "${truncate(option.value)}" is not a log level (debug, info, warning, error)`);
  return resolved;
}

/** Private keys are the integers from 1 to the order of secp256k1's group, exclusive. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Accepts 64 hex digits with or without 0x. The message never repeats the value. */
function normalisePrivateKey(value: string, origin: string): string {
  const hex = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new StoError(`${origin}: the private key must be 64 hexadecimal digits (value not shown)`);
  }
  if (/^0+$/.test(hex)) throw new StoError(`${origin}: the private key cannot be zero`);
  if (BigInt(`0x${hex}`) >= SECP256K1_ORDER) {
    throw new StoError(`${origin}: the private key is out of range (not below the secp256k1 group order; value not shown)`);
  }
  return `0x${hex.toLowerCase()}`;
}

function parseAccountAddress(value: string, origin: string): string {
  // ethers is loaded only here: resolving the configuration is part of every command's start-up.
  const { getAddress, isAddress } = require("ethers") as typeof import("ethers");
  if (!isAddress(value)) throw new StoError(`${origin}: "${truncate(value)}" is not an Ethereum address`);
  return getAddress(value);
}

function validateUrl(value: string, origin: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StoError(`${origin}: "${truncate(value)}" is not a URL`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) {
    throw new StoError(`${origin}: "${truncate(value)}" must be an http(s) or ws(s) URL`);
  }
}

/** Keeps hostile or huge values from flooding an error line. */
export function truncate(value: string, max = 60): string {
  const printable = JSON.stringify(value).slice(1, -1);
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

/** Paths in the INI file are relative to the working directory, as on the command line. */
export function displayPath(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
