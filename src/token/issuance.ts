import type { PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import type { TxEnvironment } from "../tx/environment";
import { prepareTransactions } from "../tx/prepare";
import { isWhitelisted, resolveKycAddress, WHITELISTING_FUNCTIONS } from "./kyc";
import { TOKEN_FALLBACK_GAS } from "./gas";
import { ledgerOf } from "../tx/ledger";

export type TransferRestriction = "unrestricted" | "restricted";

export interface IssueRequest {
  name: string;
  symbol: string;
  url: string;
  /** Initial shares in base units (18 decimals). */
  amount: bigint;
  /** The amount as the user wrote it, for notes. */
  amountText: string;
  restriction: TransferRestriction;
  kycAddress?: string;
}

export interface IssueResult {
  tokenAddress: string;
  transferAgentAddress: string;
  kycAddress?: string;
  prepared: PreparedTransaction[];
  warnings: string[];
}

export function parseRestriction(value: string | undefined): TransferRestriction {
  const normalised = (value ?? "unrestricted").trim().toLowerCase();
  if (normalised === "unrestricted" || normalised === "restricted") return normalised;
  throw new StoError(`--transfer-restriction: "${value}" must be unrestricted or restricted`);
}

/**
 * Prepares a new share series: deploy the token, deploy its transfer agent, make the agent the
 * token's transfer verifier, and issue the initial shares to the broadcasting account.
 */
export async function prepareIssue(env: TxEnvironment, request: IssueRequest): Promise<IssueResult> {
  validateText(request.name, "--name", 100);
  validateText(request.symbol, "--symbol", 16);
  validateText(request.url, "--url", 500);
  const warnings: string[] = [];
  const kycAddress = request.restriction === "restricted" ? await resolveKycAddress(env, request.kycAddress) : undefined;
  if (kycAddress) {
    const whitelisted = await isWhitelisted(env, kycAddress, env.address);
    if (whitelisted === false && !(await hasPendingWhitelist(env, kycAddress))) {
      warnings.push(
        `the issuing account ${env.address} is not whitelisted in KYC contract ${kycAddress}: it will hold the shares but cannot distribute them until "sto kyc-manage --whitelist-address=${env.address}"`,
      );
    }
  }
  let tokenAddress = "";
  let transferAgentAddress = "";
  const prepared = await prepareTransactions(env, (builder) => {
    // The cold half of the token's code (docs/contracts.md); each issue deploys its own for now.
    const extension = builder.deploy("SecurityTokenExtension", [], `Token code extension for ${request.name}`);
    tokenAddress = builder.deploy("SecurityToken", [request.name, request.symbol, request.url, extension], `Token contract for ${request.name}`);
    transferAgentAddress = kycAddress
      ? builder.deploy("RestrictedTransferAgent", [kycAddress], `Restricted transfer agent for ${request.name}`)
      : builder.deploy("UnrestrictedTransferAgent", [], `Unrestricted transfer agent for ${request.name}`);
    builder.call("SecurityToken", tokenAddress, "setTransferVerifier", [transferAgentAddress], `Setting security token transfer agent for ${request.name}`);
    builder.call("SecurityToken", tokenAddress, "issueTokens", [request.amount], `Creating ${request.amountText} initial shares for ${request.name}`);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { tokenAddress, transferAgentAddress, kycAddress, prepared, warnings };
}

function hasPendingWhitelist(env: TxEnvironment, kycAddress: string): Promise<boolean> {
  return ledgerOf(env.db).hasUnmined({ network: env.network, to: kycAddress, functions: WHITELISTING_FUNCTIONS });
}

export function validateText(value: string, origin: string, maxLength: number): void {
  if (value.trim() === "") throw new StoError(`${origin}: must not be empty`);
  if (value.length > maxLength) throw new StoError(`${origin}: longer than ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new StoError(`${origin}: contains control characters`);
}
