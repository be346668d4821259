import fs from "node:fs";
import { Wallet } from "ethers";
import { Secret } from "../config/secrets";
import { KEYSTORE_PASSWORD_ENV } from "./signer";
import { InputError } from "../input/fields";

export interface CreatedAccount {
  address: string;
  privateKey: Secret;
  keystoreFile?: string;
}

/** Creates a random account; with a keystore file, writes it encrypted and refuses to overwrite. */
export async function createAccount(options: { keystoreFile?: string; password?: string } = {}): Promise<CreatedAccount> {
  const wallet = Wallet.createRandom();
  const privateKey = new Secret(wallet.privateKey);
  if (!options.keystoreFile) return { address: wallet.address, privateKey };

  const password = options.password ?? process.env[KEYSTORE_PASSWORD_ENV];
  if (!password) {
    throw new InputError("keystoreFile", (field) => `${field("keystoreFile")} ${options.keystoreFile}: set the keystore password in ${KEYSTORE_PASSWORD_ENV}`);
  }
  if (password.length < 8) throw new InputError("keystoreFile", (field) => `${field("keystoreFile")} ${options.keystoreFile}: use a password of at least 8 characters`);
  if (fs.existsSync(options.keystoreFile)) {
    throw new InputError("keystoreFile", (field) => `${field("keystoreFile")} ${options.keystoreFile}: the file exists; refusing to overwrite a key`);
  }
  const json = await wallet.encrypt(password);
  fs.writeFileSync(options.keystoreFile, json, { mode: 0o600, flag: "wx" });
  return { address: wallet.address, privateKey, keystoreFile: options.keystoreFile };
}
