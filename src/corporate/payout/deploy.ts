import { validateText } from "../../input/text";
import { planRecordDateContract, prepareRecordDateContract, recordDateDeploymentGas, type Announcement, type RecordDateDeployResult, type RecordDateRequest } from "../record-date";
import type { TxEnvironment } from "../../tx/environment";
import { resolvePayoutToken } from "./payout-token";
import { InputError } from "../../input/fields";

export interface PayoutDeployRequest extends RecordDateRequest {
  payoutTokenAddress?: string;
  payoutTokenName?: string;
  name: string;
  announcement: Announcement;
  /** Unix seconds. */
  expiry: number;
}

export interface PayoutDeployResult extends RecordDateDeployResult {
  payoutAddress: string;
  payoutTokenAddress: string;
  expiry: number;
}

/**
 * Prepares a dividend (or interest) payout: a checkpoint as the record date unless an existing one
 * is given, the Payout contract tied to it, and its announcement on the token, in one batch.
 */
export async function preparePayoutDeploy(env: TxEnvironment, request: PayoutDeployRequest): Promise<PayoutDeployResult> {
  validateText(request.name, "name", 100);
  const setup = await planRecordDateContract(env, request, "announcing the payout on the token");
  const payoutTokenAddress = await resolvePayoutToken(env, request.payoutTokenAddress, request.payoutTokenName);
  if (payoutTokenAddress === request.tokenAddress) {
    throw new InputError("payoutTokenAddress", "the payout currency cannot be the security token itself; pay in a separate token (e.g. a stablecoin)");
  }
  const { recordDate, kyc, excluded, tokenName } = setup;
  const { address, prepared } = await prepareRecordDateContract(env, setup, {
    name: "Payout",
    args: [request.tokenAddress, recordDate.checkpointId, payoutTokenAddress, kyc.address, request.expiry, request.name, excluded],
    note: `Payout contract ${request.name} for ${tokenName} holders at checkpoint ${recordDate.checkpointId}`,
    gasWithNewCheckpoint: recordDateDeploymentGas("Payout", request.name, excluded.length),
    title: request.name,
    announcement: request.announcement,
    announceNote: `Announcing payout ${request.name} on ${tokenName}`,
  });
  return { payoutAddress: address, payoutTokenAddress, recordDate, kyc, excluded, expiry: request.expiry, prepared, warnings: setup.warnings };
}
