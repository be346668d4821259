import { Contract } from "ethers";
import { parseAddress } from "../input/address";
import { InputError } from "../input/fields";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactions } from "../tx/prepare";
import { ledgerOf, type PreparedTransaction } from "../tx/ledger";
import { KYC_FALLBACK_GAS } from "./gas";
import { checkRememberedDeployment } from "./onchain";
import { counted } from "../input/words";

/** The KYC contract's functions that whitelist (what issue looks for among unmined transactions). */
export const WHITELISTING_FUNCTIONS: readonly string[] = ["addToWhitelist(address)", "addToWhitelistBatch(address[])"];

export interface KycDeployResult {
  address: string;
  /** Transactions prepared now; empty when a KYC contract existed already. */
  prepared: PreparedTransaction[];
  existing?: PreparedTransaction;
  /** For an existing one: "on-chain" (code at the address) or "pending" (its deployment is not mined yet). */
  existingState?: "on-chain" | "pending";
}

/**
 * Prepares the deployment of the KYC whitelist contract, unless this network already has one: on
 * chain, or prepared and not mined yet. One the database recorded as mined but with no code on
 * this chain stops (checkRememberedDeployment).
 */
export async function deployKyc(env: TxEnvironment): Promise<KycDeployResult> {
  const existing = await ledgerOf(env.db).latestDeployment(env.network, "BasicKYC");
  if (existing?.contractAddress) {
    const existingState = await checkRememberedDeployment(env, existing, "the KYC contract");
    return { address: existing.contractAddress, prepared: [], existing, existingState };
  }
  let address = "";
  const prepared = await prepareTransactions(env, (builder) => {
    address = builder.deploy("BasicKYC", [], "Deploying KYC whitelist contract");
  });
  return { address, prepared };
}

/** The KYC contract of this network: given explicitly, or the one kyc-deploy recorded. */
export async function resolveKycAddress(env: TxEnvironment, explicit?: string): Promise<string> {
  if (explicit) return parseAddress(explicit, "kycAddress");
  const deployment = await ledgerOf(env.db).latestDeployment(env.network, "BasicKYC");
  if (!deployment?.contractAddress) {
    throw new InputError(
      "kycAddress",
      (field) => `no KYC contract on ${env.network} in ${env.db.name}: deploy one with "sto kyc-deploy", then "sto tx-broadcast" (or give ${field("kycAddress")})`,
    );
  }
  await checkRememberedDeployment(env, deployment, "the KYC contract");
  return deployment.contractAddress;
}

/** An investor registry entry (BasicKYC.setInvestor): class number, ISO 3166-1 numeric country, expiry (unix seconds, 0 = never). */
export interface InvestorEntry {
  investorClass: number;
  country: number;
  expiresAt: number;
  /** For notes, e.g. "class accredited, country DE, KYC expires 2027-01-01 00:00:00 UTC". */
  description: string;
}

/**
 * Prepares whitelisting of addresses in the KYC contract (one transaction per address, or a batch);
 * with `entry`, each address gets that class, country and expiry (setInvestor / setInvestorBatch).
 */
export async function prepareWhitelist(env: TxEnvironment, kycAddress: string, addresses: string[], entry?: InvestorEntry): Promise<PreparedTransaction[]> {
  return prepareTransactions(env, (builder) => {
    if (entry) {
      const args = [entry.investorClass, entry.country, entry.expiresAt];
      if (addresses.length === 1) {
        builder.call("BasicKYC", kycAddress, "setInvestor", [addresses[0], ...args], `Listing ${addresses[0]} in KYC contract: ${entry.description}`);
      } else {
        builder.call("BasicKYC", kycAddress, "setInvestorBatch", [addresses, ...args], `Listing ${counted(addresses.length, "address", "addresses")} in KYC contract: ${entry.description}`);
      }
    } else if (addresses.length === 1) {
      builder.call("BasicKYC", kycAddress, "addToWhitelist", [addresses[0]], `Whitelisting ${addresses[0]} in KYC contract`);
    } else {
      builder.call("BasicKYC", kycAddress, "addToWhitelistBatch", [addresses], `Whitelisting ${counted(addresses.length, "address", "addresses")} in KYC contract`);
    }
  }, { fallbackGas: KYC_FALLBACK_GAS });
}

/** Whether `address` is whitelisted now; undefined when the KYC contract is not on chain yet. */
export async function isWhitelisted(env: TxEnvironment, kycAddress: string, address: string): Promise<boolean | undefined> {
  if ((await env.provider.getCode(kycAddress)) === "0x") return undefined;
  const kyc = new Contract(kycAddress, env.artifacts.interfaceOf("BasicKYC"), env.provider);
  return (await kyc.getFunction("isWhitelisted")(address)) as boolean;
}

/**
 * This account's whitelistings in `kycAddress` that are prepared or sent but not mined yet, by the
 * address they whitelist: a check that reads the chain ("not whitelisted") can then say that the
 * user's own transaction is about to change the answer, instead of advising what was just done.
 */
export async function pendingWhitelistings(env: TxEnvironment, kycAddress: string): Promise<Map<string, PreparedTransaction>> {
  const kyc = env.artifacts.interfaceOf("BasicKYC");
  const pending = new Map<string, PreparedTransaction>();
  for (const row of await ledgerOf(env.db).unfinishedTransactions(env.network, env.address)) {
    if (row.toAddress?.toLowerCase() !== kycAddress.toLowerCase() || !WHITELISTING_FUNCTIONS.includes(row.functionSignature ?? "")) continue;
    const call = kyc.parseTransaction({ data: row.data });
    const addresses = call?.name === "addToWhitelistBatch" ? (call.args[0] as string[]) : call ? [call.args[0] as string] : [];
    for (const address of addresses) pending.set(address.toLowerCase(), row);
  }
  return pending;
}
