import { Transaction, getAddress, type Wallet } from "ethers";
import { StoError } from "../errors";

/** An unsigned transaction as written by tx-export for an offline machine. */
export interface UnsignedEntry {
  id: number;
  nonce: number;
  to: string | null;
  data: string;
  value: string;
  gasLimit: string;
  type: 0 | 2;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  note: string;
}

export interface UnsignedFile {
  format: "sto-unsigned-transactions";
  version: 1;
  network: string;
  chainId: number;
  from: string;
  exportedAt: string;
  transactions: UnsignedEntry[];
}

export interface SignedEntry {
  id: number;
  nonce: number;
  hash: string;
  raw: string;
  note: string;
}

export interface SignedFile {
  format: "sto-signed-transactions";
  version: 1;
  network: string;
  chainId: number;
  from: string;
  signedAt: string;
  transactions: SignedEntry[];
}

/**
 * Signs every transaction of an exported file with the given key, with no network access. The key
 * must belong to the account the transactions were prepared for.
 */
export function signUnsignedFile(file: UnsignedFile, wallet: Wallet): SignedFile {
  if (getAddress(file.from) !== wallet.address) {
    throw new StoError(`the transactions were prepared for ${file.from}, but the key is for ${wallet.address}`);
  }
  const transactions = file.transactions.map((entry) => {
    const transaction = Transaction.from({
      type: entry.type,
      chainId: BigInt(file.chainId),
      nonce: entry.nonce,
      to: entry.to,
      data: entry.data,
      value: BigInt(entry.value),
      gasLimit: BigInt(entry.gasLimit),
      ...(entry.type === 0
        ? { gasPrice: BigInt(entry.gasPrice ?? "0") }
        : { maxFeePerGas: BigInt(entry.maxFeePerGas ?? "0"), maxPriorityFeePerGas: BigInt(entry.maxPriorityFeePerGas ?? "0") }),
    });
    transaction.signature = wallet.signingKey.sign(transaction.unsignedHash);
    return { id: entry.id, nonce: entry.nonce, hash: transaction.hash as string, raw: transaction.serialized, note: entry.note };
  });
  return {
    format: "sto-signed-transactions",
    version: 1,
    network: file.network,
    chainId: file.chainId,
    from: wallet.address,
    signedAt: new Date().toISOString(),
    transactions,
  };
}

/** Reads and checks the shape of an unsigned (tx-export) file. */
export function parseUnsignedFile(text: string, origin: string): UnsignedFile {
  const json = parseJson(text, origin) as Partial<UnsignedFile>;
  if (json.format !== "sto-unsigned-transactions" || json.version !== 1) {
    throw new StoError(`${origin}: not a file written by "sto tx-export" (format sto-unsigned-transactions, version 1)`);
  }
  if (typeof json.chainId !== "number" || typeof json.from !== "string" || !Array.isArray(json.transactions)) {
    throw new StoError(`${origin}: chainId, from and transactions are required`);
  }
  json.transactions.forEach((entry, index) => {
    const where = `${origin}: transactions[${index}]`;
    if (!Number.isInteger(entry.nonce) || typeof entry.data !== "string" || typeof entry.gasLimit !== "string") {
      throw new StoError(`${where}: nonce, data and gasLimit are required`);
    }
    if (entry.type !== 0 && entry.type !== 2) throw new StoError(`${where}: type must be 0 or 2`);
  });
  return json as UnsignedFile;
}

/** Reads and checks the shape of a signed (tx-sign) file. */
export function parseSignedFile(text: string, origin: string): SignedFile {
  const json = parseJson(text, origin) as Partial<SignedFile>;
  if (json.format !== "sto-signed-transactions" || json.version !== 1) {
    throw new StoError(`${origin}: not a file written by "sto tx-sign" (format sto-signed-transactions, version 1)`);
  }
  if (typeof json.chainId !== "number" || !Array.isArray(json.transactions)) {
    throw new StoError(`${origin}: chainId and transactions are required`);
  }
  json.transactions.forEach((entry, index) => {
    if (typeof entry.raw !== "string" || !/^0x[0-9a-fA-F]+$/.test(entry.raw)) {
      throw new StoError(`${origin}: transactions[${index}].raw is not a hex-encoded signed transaction`);
    }
  });
  return json as SignedFile;
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new StoError(`${origin}: not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
}
