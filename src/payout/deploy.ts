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
import { resolvePayoutToken } from "./payout-token";

export interface PayoutDeployRequest {
  tokenAddress: string;
  payoutTokenAddress?: string;
  payoutTokenName?: string;
  /** --kyc-address as given ("none" for every holder); undefined: the token's transfer agent's. */
  kyc?: string;
  name: string;
  announcement: Announcement;
  /** --checkpoint-id as given; undefined takes a new checkpoint. */
  checkpointId?: string;
  /** Unix seconds. */
  expiry: number;
  exclude?: string;
  includeIssuer: boolean;
}

export interface PayoutDeployResult {
  payoutAddress: string;
  payoutTokenAddress: string;
  recordDate: RecordDatePlan;
  kyc: KycChoice;
  excluded: string[];
  expiry: number;
  prepared: PreparedTransaction[];
  warnings: string[];
}

/**
 * Prepares a dividend (or interest) payout: a checkpoint as the record date unless an existing one
 * is given, the Payout contract tied to it, and its announcement on the token, in one batch.
 */
export async function preparePayoutDeploy(env: TxEnvironment, request: PayoutDeployRequest): Promise<PayoutDeployResult> {
  validateText(request.name, "--payout-name", 100);
  await requireDeployed(env, request.tokenAddress, "--token-address");
  const token = contractAt(env, "SecurityToken", request.tokenAddress);
  await requireRole(token, "ANNOUNCE_ROLE", env.address, "announcing the payout on the token");
  const payoutTokenAddress = await resolvePayoutToken(env, request.payoutTokenAddress, request.payoutTokenName);
  if (payoutTokenAddress === request.tokenAddress) {
    throw new StoError("--payout-token-address: the payout currency cannot be the security token itself; pay in a separate token (e.g. a stablecoin)");
  }
  const recordDate = await planRecordDate(env, token, request.checkpointId);
  const kyc = await chooseKyc(env, token, request.kyc);
  const excluded = chooseExclusions(env.address, request.exclude, request.includeIssuer);
  const warnings = await checkEligibleSupply(env, token, recordDate, excluded);
  const tokenName = await view<string>(token, "name");

  let payoutAddress = "";
  const prepared = await prepareTransactions(env, (builder) => {
    if (recordDate.takeNew) addCheckpoint(builder, request.tokenAddress, tokenName, recordDate.checkpointId);
    payoutAddress = builder.deploy(
      "Payout",
      [request.tokenAddress, recordDate.checkpointId, payoutTokenAddress, kyc.address, request.expiry, request.name, excluded],
      `Payout contract ${request.name} for ${tokenName} holders at checkpoint ${recordDate.checkpointId}`,
      recordDate.takeNew ? { gasLimit: recordDateDeploymentGas("Payout", request.name, excluded.length) } : {},
    );
    addAnnouncement(builder, request.tokenAddress, payoutAddress, request.name, request.announcement, `Announcing payout ${request.name} on ${tokenName}`);
  });
  return { payoutAddress, payoutTokenAddress, recordDate, kyc, excluded, expiry: request.expiry, prepared, warnings };
}
