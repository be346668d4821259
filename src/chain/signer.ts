import { createECDH } from "node:crypto";
import { dataSlice, getAddress, keccak256, Wallet } from "ethers";
import { StoError } from "../errors";
import type { StoConfig } from "../config/resolve";
import { DEVELOPMENT_PRIVATE_KEY } from "./local-node";
import { readInputText } from "../files";

export const KEYSTORE_PASSWORD_ENV = "STO_KEYSTORE_PASSWORD";

export interface BroadcastSigner {
  address: string;
  wallet: Wallet;
  /** True when the public development key of the local chain is used. */
  isDevelopmentKey: boolean;
}

/**
 * The account that signs: the configured private key, an encrypted keystore, or — only on the
 * local chain with nothing configured — the first public development account.
 */
export async function loadSigner(
  config: StoConfig,
  warn: (message: string) => void,
  askPassword?: (prompt: string) => Promise<string>,
): Promise<BroadcastSigner> {
  if (config.privateKey && config.keystoreFile) {
    throw new StoError("give either ethereum-private-key or ethereum-keystore, not both");
  }
  if (config.privateKey) return signerOfKey(config.privateKey.reveal(), false);
  if (config.keystoreFile) {
    const wallet = await decryptKeystore(config.keystoreFile, askPassword);
    return { address: wallet.address, wallet, isDevelopmentKey: false };
  }
  if (config.network.isLocal) {
    warn(
      "no private key configured: using the first development account of the local chain, whose key is public (never send real funds to it)",
    );
    return signerOfKey(DEVELOPMENT_PRIVATE_KEY, true);
  }
  throw new StoError(
    `network ${config.network.name} needs a broadcasting account: set ethereum-private-key (or STO_ETHEREUM_PRIVATE_KEY) or ethereum-keystore`,
  );
}

/**
 * The signer of a private key whose ethers Wallet is made when something signs: a Wallet computes
 * its public key with JavaScript elliptic-curve code that first builds its tables (about 65 ms),
 * while a command that only prepares needs the address, which OpenSSL derives in well under 1 ms.
 */
function signerOfKey(privateKey: string, isDevelopmentKey: boolean): BroadcastSigner {
  const address = addressOfKey(privateKey);
  if (address === undefined) {
    // Not a key OpenSSL takes: the Wallet says why, as it always did.
    const wallet = new Wallet(privateKey);
    return { address: wallet.address, wallet, isDevelopmentKey };
  }
  let wallet: Wallet | undefined;
  return {
    address,
    get wallet() {
      wallet ??= new Wallet(privateKey);
      return wallet;
    },
    isDevelopmentKey,
  };
}

/** The checksummed address of a 32-byte hex private key; undefined for anything OpenSSL refuses. */
export function addressOfKey(privateKey: string): string | undefined {
  const hex = privateKey.replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  try {
    const curve = createECDH("secp256k1");
    curve.setPrivateKey(Buffer.from(hex, "hex"));
    // Uncompressed public key: 0x04, then x and y; the address is the last 20 bytes of keccak(x ‖ y).
    const publicKey = curve.getPublicKey().subarray(1);
    return getAddress(dataSlice(keccak256(publicKey), 12));
  } catch {
    return undefined;
  }
}

/** The broadcasting account: its address, and its signer when the key is on this machine. */
export interface BroadcastAccount {
  address: string;
  signer?: BroadcastSigner;
}

/**
 * The account commands act for. With ethereum-account-address the key stays elsewhere (offline
 * signing): commands that only prepare, export, import or send signed transactions need no key.
 */
export async function loadAccount(
  config: StoConfig,
  warn: (message: string) => void,
  askPassword?: (prompt: string) => Promise<string>,
): Promise<BroadcastAccount> {
  if (!config.accountAddress) {
    const signer = await loadSigner(config, warn, askPassword);
    return { address: signer.address, signer };
  }
  if (!config.privateKey && !config.keystoreFile) return { address: config.accountAddress };
  const signer = await loadSigner(config, warn, askPassword);
  if (signer.address !== config.accountAddress) {
    throw new StoError(
      `ethereum-account-address ${config.accountAddress} does not match the configured key's address ${signer.address}`,
    );
  }
  return { address: signer.address, signer };
}

/** The address of the configured account without decrypting a keystore when it is not needed. */
export function keystoreAddress(file: string): string | undefined {
  try {
    const json = JSON.parse(readInputText(file, "keystore")) as { address?: string };
    return json.address ? `0x${json.address.replace(/^0x/, "")}` : undefined;
  } catch {
    return undefined;
  }
}

async function decryptKeystore(file: string, askPassword?: (prompt: string) => Promise<string>): Promise<Wallet> {
  const json = readInputText(file, "keystore", `ethereum-keystore ${file}`);
  let password = process.env[KEYSTORE_PASSWORD_ENV];
  // An empty variable counts as unset, as for every STO_* variable.
  if (password === undefined || password === "") {
    if (!askPassword) {
      throw new StoError(`ethereum-keystore ${file}: set the password in ${KEYSTORE_PASSWORD_ENV}`);
    }
    password = await askPassword(`Password for ${file}: `);
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return new Wallet(wallet.privateKey);
  } catch (error) {
    const message = (error as Error).message;
    if (/password/i.test(message)) throw new StoError(`ethereum-keystore ${file}: wrong password`);
    throw new StoError(`ethereum-keystore ${file}: not a valid encrypted JSON keystore`);
  }
}
