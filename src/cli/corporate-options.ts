import type { Command } from "commander";
import { ZeroAddress, ZeroHash, keccak256 } from "ethers";
import type { Announcement, KycChoice, RecordDateDeployResult, RecordDatePlan, RecordDateRequest } from "../corporate/record-date";
import { StoError } from "../errors";
import { readInputFile } from "../files";
import { parseAddress, parseAddressList } from "../input/address";
import { formatTime } from "../input/dates";
import { InputError } from "../input/fields";
import { parseBytes32, parseUint256 } from "../input/numbers";
import { validateText } from "../input/text";
import type { Output } from "./output";

/** The flags payout-deploy and voting-deploy share: record date, eligibility and announcement. */
export interface CorporateActionOptions {
  tokenAddress: string;
  kycAddress?: string;
  uri: string;
  type: string;
  options?: string;
  checkpointId?: string;
  exclude?: string;
  includeIssuer?: boolean;
  contentHash?: string;
  documentFile?: string;
}

export function addCorporateActionOptions(command: Command, what: "payout" | "vote"): Command {
  return command
    .option(
      "--kyc-address <address>",
      `KYC contract whose whitelisted holders may ${what === "payout" ? "be paid" : "vote"}, or "none" for every holder (default: the token's restricted transfer agent's KYC contract, else none)`,
    )
    .requiredOption("--uri <uri>", "announcement URI: where holders read about it")
    .requiredOption("--type <integer>", "announcement type code, free for the issuer to choose (e.g. 0)")
    .option("--checkpoint-id <id>", "use this existing checkpoint as the record date (default: take a new checkpoint in the same batch)")
    .option(
      "--exclude <addresses>",
      `comma-separated addresses whose shares ${what === "payout" ? "get nothing and do not count in the pro-rata base" : "carry no vote"}, in addition to the issuer's account`,
    )
    .option("--include-issuer", `do not exclude the broadcasting (issuing) account, which holds the undistributed treasury shares`)
    .option("--content-hash <hex>", "32-byte hash of the announced document, registered on the token (default: zero)")
    .option("--document-file <path>", "the announced document; its keccak256 is registered as the content hash");
}

/**
 * What payout-deploy and voting-deploy both parse before touching the chain, in the order their
 * errors are reported: the token, the announcement, then the record date and eligibility.
 */
export function parseCorporateAction(options: CorporateActionOptions): { tokenAddress: string; announcement: Announcement; recordDate: RecordDateRequest } {
  const tokenAddress = parseAddress(options.tokenAddress, "--token-address");
  const announcement = parseAnnouncement(options);
  return { tokenAddress, announcement, recordDate: parseRecordDateOptions(options, tokenAddress) };
}

/** The record date and eligibility flags as the service's typed request. */
export function parseRecordDateOptions(options: CorporateActionOptions, tokenAddress: string): RecordDateRequest {
  const kyc = options.kycAddress?.trim();
  return {
    tokenAddress,
    checkpointId: options.checkpointId === undefined ? undefined : parseUint256(options.checkpointId, "--checkpoint-id", "a checkpoint number"),
    kycAddress: kyc === undefined ? undefined : kyc.toLowerCase() === "none" ? ZeroAddress : parseAddress(kyc, "--kyc-address"),
    exclude: parseAddressList(options.exclude, "--exclude"),
    includeIssuer: options.includeIssuer === true,
  };
}

/**
 * `--type` (a non-negative integer), `--uri`, and the content hash: `--content-hash` (32 bytes hex),
 * or keccak256 of `--document-file` (the announced document, e.g. the board decision), or zero.
 */
export function parseAnnouncement(options: { type: string; uri: string; contentHash?: string; documentFile?: string }): Announcement {
  const type = parseUint256(options.type, "--type");
  validateText(options.uri, "--uri", 500);
  if (options.contentHash !== undefined && options.documentFile !== undefined) {
    throw new InputError("--content-hash", "--content-hash and --document-file: give one of them, not both");
  }
  let contentHash = ZeroHash;
  if (options.contentHash !== undefined) contentHash = parseBytes32(options.contentHash, "--content-hash");
  else if (options.documentFile !== undefined) {
    contentHash = keccak256(readInputFile(options.documentFile, "document", `--document-file ${options.documentFile}`));
  }
  return { type, uri: options.uri.trim(), contentHash };
}

/** The record date's part of payout-deploy's and voting-deploy's JSON. */
export function recordDateJson(result: RecordDateDeployResult): { checkpointId: string; newCheckpoint: boolean; kycAddress: string; excluded: string[] } {
  return { checkpointId: result.recordDate.checkpointId.toString(), newCheckpoint: result.recordDate.takeNew, kycAddress: result.kyc.address, excluded: result.excluded };
}

/** Lines describing the record date, eligibility and exclusions of a prepared payout or vote. */
export function printCorporateAction(
  out: Output,
  details: { recordDate: RecordDatePlan; kyc: KycChoice; excluded: string[]; endLabel: string; end: number },
): void {
  const { recordDate, kyc } = details;
  out.result(
    recordDate.takeNew
      ? `Record date: checkpoint ${recordDate.checkpointId}, taken by the first transaction above${recordDate.pendingCheckpoints > 0 ? ` (after ${recordDate.pendingCheckpoints} checkpoint(s) prepared earlier and not mined yet)` : ""}`
      : `Record date: existing checkpoint ${recordDate.checkpointId}`,
  );
  out.result(
    kyc.address === ZeroAddress
      ? "Eligible: every holder at the checkpoint"
      : `Eligible: holders whitelisted in KYC contract ${kyc.address}${kyc.origin === "transfer agent" ? " (the token's transfer agent's)" : ""}`,
  );
  out.result(`Excluded: ${details.excluded.length > 0 ? details.excluded.join(", ") : "nobody"}`);
  out.result(`${details.endLabel}: ${formatTime(details.end)}`);
}

/**
 * The manual's `--options LIST`. The original passed them to its contracts as opaque bytes that
 * nothing read; for votes they are the ballot's options, for payouts there is nothing to pass.
 */
export function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

export function rejectPayoutOptions(value: string | undefined): void {
  if (splitList(value).length > 0) {
    throw new StoError("--options: the Payout contract takes no free-form options; use --expiry, --checkpoint-id, --exclude or --kyc-address");
  }
}
