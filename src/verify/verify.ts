import { readBuildInfo } from "../contracts/artifacts";
import { nowIso, type StoDatabase } from "../db/database";
import { ledgerOf, type PreparedTransaction } from "../tx/ledger";
import type { EtherscanClient } from "./etherscan";
import { InputError } from "../input/fields";

export interface VerifyOptions {
  /** Only these deployments (checksummed); default every unverified one of `account`. */
  addresses?: string[];
  /** The broadcasting account whose deployments are verified by default. */
  account: string;
  network: string;
  pollIntervalMs: number;
  /** How long to wait for one contract's result (submission retries and polling). */
  timeoutMs: number;
  /** Where build-info files are; the default artifacts directory if not given. */
  artifactsDir?: string;
  onProgress?: (message: string) => void;
}

export type VerificationStatus = "verified" | "already-verified" | "failed" | "skipped" | "timeout";

export interface VerificationOutcome {
  address: string;
  contractName: string;
  status: VerificationStatus;
  message: string;
  guid?: string;
}

/** Rows tx-verify works on: successful deployments, all unverified ones of the account or the given ones. */
export async function deploymentsToVerify(db: StoDatabase, options: Pick<VerifyOptions, "addresses" | "account" | "network">): Promise<PreparedTransaction[]> {
  const ledger = ledgerOf(db);
  if (!options.addresses) return ledger.successfulDeployments(options.network, { unverifiedFrom: options.account });
  const rows = await ledger.successfulDeployments(options.network, { addresses: options.addresses });
  const missing = options.addresses.filter((address) => !rows.some((row) => row.contractAddress === address));
  if (missing.length > 0) {
    throw new InputError("addresses", `${missing.join(", ")} ${missing.length === 1 ? "is not a" : "are not"} successful deployment(s) recorded in this database on ${options.network} (run tx-update first?)`);
  }
  return rows;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Submits each deployment's exact compiler input (the Hardhat build-info it was built from),
 * contract name, compiler version and constructor arguments, polls until the explorer decides,
 * and records the result in the deployment's row (verified_at, verification_info).
 */
export async function verifyDeployments(db: StoDatabase, client: EtherscanClient, options: VerifyOptions): Promise<VerificationOutcome[]> {
  const rows = await deploymentsToVerify(db, options);
  const outcomes: VerificationOutcome[] = [];
  for (const row of rows) {
    const outcome = await verifyOne(client, row, options);
    outcomes.push(outcome);
    await record(db, row, outcome);
  }
  return outcomes;
}

async function verifyOne(client: EtherscanClient, row: PreparedTransaction, options: VerifyOptions): Promise<VerificationOutcome> {
  const address = row.contractAddress as string;
  const contractName = row.sourceName ?? row.contractName ?? "";
  const base = { address, contractName };
  if (row.verifiedAt) return { ...base, status: "skipped", message: `verified already at ${row.verifiedAt}` };
  if (!row.compilerInputId || !row.sourceName) {
    return { ...base, status: "skipped", message: "no compiler input recorded (deployed from an --ethereum-abi-file?)" };
  }
  let buildInfo;
  try {
    buildInfo = readBuildInfo(row.compilerInputId, options.artifactsDir);
  } catch (error) {
    return { ...base, status: "skipped", message: (error as Error).message };
  }
  const request = {
    contractAddress: address,
    sourceCode: JSON.stringify(buildInfo.input),
    contractName: row.sourceName,
    compilerVersion: etherscanCompilerVersion(buildInfo.solcLongVersion),
    constructorArguments: row.constructorArguments ?? "",
  };
  const deadline = Date.now() + options.timeoutMs;
  options.onProgress?.(`Submitting ${contractName} at ${address}`);
  let guid: string | undefined;
  for (;;) {
    const submitted = await client.submit(request);
    if (submitted.kind === "submitted") {
      guid = submitted.guid;
      break;
    }
    if (submitted.kind === "already-verified") return { ...base, status: "already-verified", message: submitted.message };
    if (submitted.kind === "rejected") return { ...base, status: "failed", message: submitted.message };
    if (Date.now() + options.pollIntervalMs > deadline) return { ...base, status: "timeout", message: `gave up: ${submitted.message}` };
    options.onProgress?.(`  ${submitted.message}; trying again`);
    await sleep(options.pollIntervalMs);
  }
  for (;;) {
    await sleep(options.pollIntervalMs);
    const status = await client.checkStatus(guid);
    if (status.kind === "verified") return { ...base, status: /already/i.test(status.message) ? "already-verified" : "verified", message: status.message, guid };
    if (status.kind === "failed") return { ...base, status: "failed", message: status.message, guid };
    if (Date.now() + options.pollIntervalMs > deadline) {
      return { ...base, status: "timeout", message: `still "${status.message}" after ${Math.round(options.timeoutMs / 1000)}s; run tx-verify again later`, guid };
    }
  }
}

/**
 * Etherscan names compilers `v0.8.28+commit.7893614a`. The solc npm package (a WebAssembly build)
 * reports `0.8.28+commit.7893614a.Emscripten.clang`: same compiler, same bytecode, but the suffix
 * is not in Etherscan's list.
 */
export function etherscanCompilerVersion(solcLongVersion: string): string {
  const match = /^(\d+\.\d+\.\d+\+commit\.[0-9a-f]+)/.exec(solcLongVersion);
  return `v${match ? match[1] : solcLongVersion}`;
}

async function record(db: StoDatabase, row: PreparedTransaction, outcome: VerificationOutcome): Promise<void> {
  if (outcome.status === "skipped") return;
  const now = nowIso();
  const info = JSON.stringify({ status: outcome.status, message: outcome.message, guid: outcome.guid, at: now });
  const verified = outcome.status === "verified" || outcome.status === "already-verified";
  await ledgerOf(db).recordVerification(row.id, info, verified ? now : undefined);
}
