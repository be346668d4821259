import { Contract, ZeroAddress, getAddress, id as eventTopic, toBeHex, zeroPadValue } from "ethers";
import type { PreparedTransaction } from "../db/schema";
import { InputError, type FieldNamer, type FieldText } from "../input/fields";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactions, type TransactionBuilder } from "../tx/prepare";
import { ledgerOf } from "../tx/ledger";
import { nodeClient } from "../chain/provider";
import { getLogs } from "../chain/logs";
import { deploymentBlock } from "./deployment-block";
import { contractAt, requireDeployed, requireRole, securityTokenWithRole, tryView, view, type ReadEnvironment } from "../token/onchain";
import { TOKEN_FALLBACK_GAS } from "../token/gas";

/** The record date of a payout or a vote: which checkpoint, and whether it is taken now. */
export interface RecordDatePlan {
  checkpointId: bigint;
  /** True when `checkpoint()` is prepared in the same batch, before the contract that uses it. */
  takeNew: boolean;
  /** Checkpoints of this token prepared earlier and not mined yet (they come before ours). */
  pendingCheckpoints: number;
}

/** Checkpoints of `token` prepared in this database whose transactions are not mined yet. */
export function pendingCheckpointCount(env: Pick<TxEnvironment, "db" | "network">, tokenAddress: string): Promise<number> {
  return ledgerOf(env.db).countUnmined({ network: env.network, to: tokenAddress, functions: ["checkpoint()"] });
}

/**
 * An existing checkpoint (`checkpointId`), or a new one taken in the same batch. A new one's id
 * is predicted as the token's current id plus the checkpoints this database has prepared for the
 * token and not mined yet, plus one: transactions of one account are mined in nonce order, so the
 * checkpoint exists when the contract using it is deployed. Another key taking a checkpoint at the
 * same time would shift the id; `payout-status` shows the checkpoint's block so this can be checked.
 */
export async function planRecordDate(env: TxEnvironment, token: Contract, checkpointId: bigint | undefined): Promise<RecordDatePlan> {
  const current = await view<bigint>(token, "currentCheckpointId");
  if (checkpointId !== undefined) {
    if (checkpointId <= 0n || checkpointId > current) {
      throw new InputError(
        "checkpointId",
        `checkpoint ${checkpointId} does not exist on the token (it has ${current === 0n ? "none" : `1 to ${current}`}; a prepared checkpoint counts once it is mined)`,
      );
    }
    return { checkpointId, takeNew: false, pendingCheckpoints: 0 };
  }
  await requireRole(token, "CHECKPOINT_ROLE", env.address, "taking a checkpoint");
  const pending = await pendingCheckpointCount(env, await token.getAddress());
  return { checkpointId: current + BigInt(pending) + 1n, takeNew: true, pendingCheckpoints: pending };
}

/** The block a checkpoint was taken in, from its CheckpointCreated event; undefined if not found. */
export async function checkpointBlock(env: ReadEnvironment, tokenAddress: string, checkpointId: bigint): Promise<number | undefined> {
  const logs = await getLogs(
    nodeClient(env.provider),
    { address: tokenAddress, topics: [eventTopic("CheckpointCreated(uint256,uint256,uint256)"), zeroPadValue(toBeHex(checkpointId), 32)] },
    await deploymentBlock(env.db, env.network, tokenAddress),
    await env.provider.getBlockNumber(),
  );
  return logs.length > 0 ? Number(logs[0].blockNumber) : undefined;
}

/** The KYC whitelist eligible holders must be on; ZeroAddress means every holder. */
export interface KycChoice {
  address: string;
  /** Why: given in the request (`kycAddress`), taken from the token's transfer agent, or none. */
  origin: "given" | "transfer agent" | "none";
}

/**
 * `kycAddress`: a KYC contract, or ZeroAddress for every holder. Without it: the whitelist of the token's
 * restricted transfer agent, if it has one (holders of a restricted token are whitelisted anyway),
 * else none. A KYC contract elsewhere in the database is deliberately not used: it would silently
 * exclude holders of an unrestricted token.
 */
export async function chooseKyc(env: ReadEnvironment, token: Contract, address: string | undefined): Promise<KycChoice> {
  if (address !== undefined) {
    if (address === ZeroAddress) return { address: ZeroAddress, origin: "none" };
    const kyc = contractAt(env, "BasicKYC", address);
    if ((await env.provider.getCode(address)) === "0x" || (await tryView<boolean>(kyc, "isWhitelisted", ZeroAddress)) === undefined) {
      throw new InputError("kycAddress", `${address} is not a KYC contract on ${env.network} (no isWhitelisted there)`);
    }
    return { address, origin: "given" };
  }
  const verifier = await tryView<string>(token, "transferVerifier");
  if (verifier && verifier !== ZeroAddress) {
    const kyc = await tryView<string>(contractAt(env, "RestrictedTransferAgent", verifier), "kyc");
    if (kyc && kyc !== ZeroAddress) return { address: getAddress(kyc), origin: "transfer agent" };
  }
  return { address: ZeroAddress, origin: "none" };
}

/**
 * Addresses that get nothing and do not count: the broadcasting account (the issuer's treasury,
 * holding the undistributed shares) unless `includeIssuer`, plus `exclude`. Each once.
 */
export function chooseExclusions(issuer: string, exclude: readonly string[], includeIssuer: boolean): string[] {
  const result: string[] = [];
  const add = (address: string) => {
    if (!result.includes(address)) result.push(address);
  };
  if (!includeIssuer) add(issuer);
  for (const address of exclude) {
    if (address === ZeroAddress) throw new InputError("exclude", "the zero address holds nothing and cannot be excluded");
    add(address);
  }
  return result;
}

/** What is registered on the token about a payout or a vote (`token.announce`). */
export interface Announcement {
  type: bigint;
  uri: string;
  /** 32 bytes hex; zero when no document is registered. */
  contentHash: string;
}

export function addCheckpoint(builder: TransactionBuilder, tokenAddress: string, tokenName: string, expectedId: bigint): void {
  builder.call("SecurityToken", tokenAddress, "checkpoint", [], `Checkpoint (record date) ${expectedId} of ${tokenName}`);
}

export function addAnnouncement(builder: TransactionBuilder, tokenAddress: string, target: string, name: string, announcement: Announcement, note: string): void {
  builder.call("SecurityToken", tokenAddress, "announce", [target, announcement.type, name, announcement.uri, announcement.contentHash], note);
}

/**
 * The Payout constructor reverts when the excluded addresses hold the whole supply at the
 * checkpoint (nobody to pay). Checked here from the checkpoint, or from today's balances for a new
 * checkpoint; with transactions still unmined (a distribution prepared just before) today's
 * balances may not be the record date's, so that case only warns.
 */
export async function checkEligibleSupply(
  env: TxEnvironment,
  token: Contract,
  recordDate: RecordDatePlan,
  excluded: string[],
): Promise<FieldText[]> {
  const atCheckpoint = !recordDate.takeNew;
  const supply = atCheckpoint ? await view<bigint>(token, "totalSupplyAt", recordDate.checkpointId) : await view<bigint>(token, "totalSupply");
  const excludedBalances = await Promise.all(
    excluded.map((account) => (atCheckpoint ? view<bigint>(token, "balanceOfAt", account, recordDate.checkpointId) : view<bigint>(token, "balanceOf", account))),
  );
  const excludedBalance = excludedBalances.reduce((sum, balance) => sum + balance, 0n);
  if (supply - excludedBalance > 0n) return [];
  const message = (field: FieldNamer) =>
    `the excluded addresses (${excluded.join(", ") || ZeroAddress}) hold all shares${atCheckpoint ? ` at checkpoint ${recordDate.checkpointId}` : ""}: nobody else would be paid or vote; distribute shares first, or use ${field("includeIssuer")}`;
  if (!atCheckpoint && (await ledgerOf(env.db).hasUnmined({ network: env.network, from: env.address }))) {
    return [(field) => `${message(field)} (unless the transactions not mined yet change that)`];
  }
  throw new InputError("includeIssuer", message);
}

/** What a contract tied to a record date (Payout, Voting) is deployed for, checked before anything is prepared. */
export interface RecordDateSetup {
  token: Contract;
  tokenAddress: string;
  tokenName: string;
  recordDate: RecordDatePlan;
  kyc: KycChoice;
  excluded: string[];
  warnings: FieldText[];
}

/** The views a deployed record-date contract (Payout, Voting) shares: whose rights it counts. */
export interface RecordDateViews {
  name: string;
  checkpointId: bigint;
  /** The KYC whitelist eligible holders must be on (ZeroAddress: none). */
  kyc: string;
  eligibleSupply: bigint;
  excluded: string[];
}

export async function readRecordDateViews(contract: Contract): Promise<RecordDateViews> {
  const [name, checkpointId, kyc, eligibleSupply, excluded] = await Promise.all([
    view<string>(contract, "name"),
    view<bigint>(contract, "checkpointId"),
    view<string>(contract, "kyc"),
    view<bigint>(contract, "eligibleSupply"),
    view<string[]>(contract, "excluded"),
  ]);
  return { name, checkpointId, kyc, eligibleSupply, excluded: [...excluded] };
}

/** What payout-deploy and voting-deploy report of the record-date contract they prepared. */
export interface RecordDateDeployResult {
  recordDate: RecordDatePlan;
  kyc: KycChoice;
  excluded: string[];
  prepared: PreparedTransaction[];
  warnings: FieldText[];
}

/** Who holds a payout or vote's rights, as a request gives it (payout-deploy, voting-deploy). */
export interface RecordDateRequest {
  tokenAddress: string;
  /** An existing checkpoint as the record date; absent: a new checkpoint in the same batch. */
  checkpointId?: bigint;
  /** The KYC whitelist eligible holders must be on; ZeroAddress: every holder; absent: the token's transfer agent's, if any. */
  kycAddress?: string;
  /** Addresses whose shares get nothing and do not count, besides the issuer's. */
  exclude?: readonly string[];
  includeIssuer: boolean;
}

/**
 * The checks and choices shared by payout-deploy and voting-deploy: the token deployed and the
 * account allowed to announce on it, the record date (a new checkpoint unless `checkpointId` is
 * given), the KYC contract, the excluded addresses, and that someone is left to pay or to vote.
 */
export async function planRecordDateContract(env: TxEnvironment, request: RecordDateRequest, purpose: string): Promise<RecordDateSetup> {
  const token = await securityTokenWithRole(env, request.tokenAddress, "ANNOUNCE_ROLE", env.address, purpose);
  const recordDate = await planRecordDate(env, token, request.checkpointId);
  const kyc = await chooseKyc(env, token, request.kycAddress);
  const excluded = chooseExclusions(env.address, request.exclude ?? [], request.includeIssuer);
  const warnings = await checkEligibleSupply(env, token, recordDate, excluded);
  const tokenName = await view<string>(token, "name");
  return { token, tokenAddress: request.tokenAddress, tokenName, recordDate, kyc, excluded, warnings };
}

/**
 * Prepares in one batch the checkpoint (when a new one is the record date), the contract, and its
 * announcement on the token; returns the contract's address. `gasWithNewCheckpoint` is its
 * deployment's gas limit when the checkpoint is in the same batch (it cannot be estimated then).
 */
export async function prepareRecordDateContract(
  env: TxEnvironment,
  setup: RecordDateSetup,
  contract: { name: "Payout" | "Voting"; args: readonly unknown[]; note: string; gasWithNewCheckpoint: bigint; title: string; announcement: Announcement; announceNote: string },
): Promise<{ address: string; prepared: PreparedTransaction[] }> {
  const { tokenAddress, tokenName, recordDate } = setup;
  let address = "";
  const prepared = await prepareTransactions(env, (builder) => {
    if (recordDate.takeNew) addCheckpoint(builder, tokenAddress, tokenName, recordDate.checkpointId);
    address = builder.deploy(contract.name, contract.args, contract.note, recordDate.takeNew ? { gasLimit: contract.gasWithNewCheckpoint } : {});
    addAnnouncement(builder, tokenAddress, address, contract.title, contract.announcement, contract.announceNote);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { address, prepared };
}

/** Prepares `checkpoint()` on the token alone (`sto checkpoint`); returns the id it is expected to get. */
export async function prepareCheckpoint(env: TxEnvironment, tokenAddress: string): Promise<{ plan: RecordDatePlan; prepared: PreparedTransaction[] }> {
  await requireDeployed(env, tokenAddress, "tokenAddress");
  const token = contractAt(env, "SecurityToken", tokenAddress);
  const plan = await planRecordDate(env, token, undefined);
  const tokenName = await view<string>(token, "name");
  const prepared = await prepareTransactions(env, (builder) => addCheckpoint(builder, tokenAddress, tokenName, plan.checkpointId), {
    fallbackGas: TOKEN_FALLBACK_GAS,
  });
  return { plan, prepared };
}

/** 32-byte storage words a string takes (what storing it costs, about 22,000 gas each). */
function words(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 32) + 1;
}

/**
 * Gas for deploying a Payout or Voting contract in the same batch as the checkpoint it needs: it
 * cannot be estimated before the checkpoint is mined (the constructor reverts on a checkpoint that
 * does not exist yet), and the pipeline's generic 6,000,000 for such deployments reserves far more
 * than needed. Measured (bench/payout-gas.ts): Payout with one excluded address 1,640,656; Voting
 * with three options and one excluded address 1,122,591. The margins cover each excluded address
 * (two storage writes and a balance read), each stored string word and each option.
 */
export function recordDateDeploymentGas(kind: "Payout" | "Voting", name: string, excluded: number, options: string[] = []): bigint {
  const strings = words(name) + options.reduce((sum, option) => sum + words(option), 0);
  const base = kind === "Payout" ? 2_000_000 : 1_300_000;
  return BigInt(base + 50_000 * excluded + 25_000 * strings + 70_000 * options.length);
}
