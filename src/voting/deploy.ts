import type { PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import { validateText } from "../token/issuance";
import { contractAt, requireDeployed, requireRole, view } from "../token/onchain";
import {
  addAnnouncement,
  addCheckpoint,
  checkEligibleSupply,
  chooseExclusions,
  chooseKyc,
  planRecordDate,
  recordDateDeploymentGas,
  type Announcement,
  type KycChoice,
  type RecordDatePlan,
} from "../token/record-date";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactions } from "../tx/prepare";

/** The ballot of a vote when none is given. */
export const DEFAULT_BALLOT = ["Yes", "No", "Abstain"];

export interface VotingDeployRequest {
  tokenAddress: string;
  kyc?: string;
  name: string;
  /** The ballot: at least two distinct, non-empty options. */
  options: string[];
  announcement: Announcement;
  checkpointId?: string;
  /** Unix seconds from which votes are rejected. */
  endTime: number;
  exclude?: string;
  includeIssuer: boolean;
}

export interface VotingDeployResult {
  votingAddress: string;
  options: string[];
  recordDate: RecordDatePlan;
  kyc: KycChoice;
  excluded: string[];
  endTime: number;
  prepared: PreparedTransaction[];
  warnings: string[];
}

export function validateBallot(options: string[]): string[] {
  const ballot = options.length > 0 ? options : DEFAULT_BALLOT;
  if (ballot.length < 2) throw new StoError(`--option: a vote needs at least two options (got ${ballot.length})`);
  if (ballot.length > 50) throw new StoError(`--option: at most 50 options (got ${ballot.length})`);
  const seen = new Set<string>();
  for (const option of ballot) {
    validateText(option, "--option", 100);
    const key = option.trim().toLowerCase();
    if (seen.has(key)) throw new StoError(`--option: "${option}" is given twice`);
    if (/^\d+$/.test(key)) throw new StoError(`--option: "${option}" is a number; name options with words (votes may refer to options by number)`);
    seen.add(key);
  }
  return ballot.map((option) => option.trim());
}

/**
 * Prepares a shareholder vote: a checkpoint as the record date unless an existing one is given, the
 * Voting contract with its ballot, and its announcement on the token, in one batch.
 */
export async function prepareVotingDeploy(env: TxEnvironment, request: VotingDeployRequest): Promise<VotingDeployResult> {
  validateText(request.name, "--voting-name", 200);
  const options = validateBallot(request.options);
  await requireDeployed(env, request.tokenAddress, "--token-address");
  const token = contractAt(env, "SecurityToken", request.tokenAddress);
  await requireRole(token, "ANNOUNCE_ROLE", env.address, "announcing the vote on the token");
  const recordDate = await planRecordDate(env, token, request.checkpointId);
  const kyc = await chooseKyc(env, token, request.kyc);
  const excluded = chooseExclusions(env.address, request.exclude, request.includeIssuer);
  const warnings = await checkEligibleSupply(env, token, recordDate, excluded);
  const tokenName = await view<string>(token, "name");

  let votingAddress = "";
  const prepared = await prepareTransactions(env, (builder) => {
    if (recordDate.takeNew) addCheckpoint(builder, request.tokenAddress, tokenName, recordDate.checkpointId);
    votingAddress = builder.deploy(
      "Voting",
      [request.tokenAddress, recordDate.checkpointId, kyc.address, request.endTime, request.name, options, excluded],
      `Voting contract ${request.name} for ${tokenName} holders at checkpoint ${recordDate.checkpointId}`,
      recordDate.takeNew ? { gasLimit: recordDateDeploymentGas("Voting", request.name, excluded.length, options) } : {},
    );
    addAnnouncement(builder, request.tokenAddress, votingAddress, request.name, request.announcement, `Announcing vote ${request.name} on ${tokenName}`);
  });
  return { votingAddress, options, recordDate, kyc, excluded, endTime: request.endTime, prepared, warnings };
}
