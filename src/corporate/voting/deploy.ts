import { validateText } from "../../input/text";
import { planRecordDateContract, prepareRecordDateContract, recordDateDeploymentGas, type Announcement, type RecordDateDeployResult, type RecordDateRequest } from "../record-date";
import type { TxEnvironment } from "../../tx/environment";
import { InputError } from "../../input/fields";

/** The ballot of a vote when none is given. */
export const DEFAULT_BALLOT = ["Yes", "No", "Abstain"];

export interface VotingDeployRequest extends RecordDateRequest {
  name: string;
  /** The ballot: at least two distinct, non-empty options. */
  options: string[];
  announcement: Announcement;
  /** Unix seconds from which votes are rejected. */
  endTime: number;
}

export interface VotingDeployResult extends RecordDateDeployResult {
  votingAddress: string;
  options: string[];
  endTime: number;
}

export function validateBallot(options: string[]): string[] {
  const ballot = options.length > 0 ? options : DEFAULT_BALLOT;
  if (ballot.length < 2) throw new InputError("options", `a vote needs at least two options (got ${ballot.length})`);
  if (ballot.length > 50) throw new InputError("options", `at most 50 options (got ${ballot.length})`);
  const seen = new Set<string>();
  for (const option of ballot) {
    validateText(option, "options", 100);
    const key = option.trim().toLowerCase();
    if (seen.has(key)) throw new InputError("options", `"${option}" is given twice`);
    if (/^\d+$/.test(key)) throw new InputError("options", `"${option}" is a number; name options with words (votes may refer to options by number)`);
    seen.add(key);
  }
  return ballot.map((option) => option.trim());
}

/**
 * Prepares a shareholder vote: a checkpoint as the record date unless an existing one is given, the
 * Voting contract with its ballot, and its announcement on the token, in one batch.
 */
export async function prepareVotingDeploy(env: TxEnvironment, request: VotingDeployRequest): Promise<VotingDeployResult> {
  validateText(request.name, "name", 200);
  const options = validateBallot(request.options);
  const setup = await planRecordDateContract(env, request, "announcing the vote on the token");
  const { recordDate, kyc, excluded, tokenName } = setup;
  const { address, prepared } = await prepareRecordDateContract(env, setup, {
    name: "Voting",
    args: [request.tokenAddress, recordDate.checkpointId, kyc.address, request.endTime, request.name, options, excluded],
    note: `Voting contract ${request.name} for ${tokenName} holders at checkpoint ${recordDate.checkpointId}`,
    gasWithNewCheckpoint: recordDateDeploymentGas("Voting", request.name, excluded.length, options),
    title: request.name,
    announcement: request.announcement,
    announceNote: `Announcing vote ${request.name} on ${tokenName}`,
  });
  return { votingAddress: address, options, recordDate, kyc, excluded, endTime: request.endTime, prepared, warnings: setup.warnings };
}
