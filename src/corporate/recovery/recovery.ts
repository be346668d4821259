import { ZeroAddress } from "ethers";
import type { PreparedTransaction } from "../../db/schema";
import { formatTokenAmount, parseTokenAmount } from "../../input/amounts";
import { validateText } from "../../input/text";
import { contractAt, erc20Info, securityTokenWithRole, tryView, view } from "../../token/onchain";
import type { TxEnvironment } from "../../tx/environment";
import { prepareTransactions } from "../../tx/prepare";
import { TOKEN_FALLBACK_GAS } from "../../token/gas";
import { ledgerOf } from "../../tx/ledger";
import { InputError, type FieldText } from "../../input/fields";

export interface RecoveryResult {
  amount: bigint;
  amountText: string;
  symbol: string;
  prepared: PreparedTransaction[];
  warnings: FieldText[];
}

/** Whether the account has transactions that are not mined yet (balances may be about to change). */
function hasUnmined(env: TxEnvironment): Promise<boolean> {
  return ledgerOf(env.db).hasUnmined({ network: env.network, from: env.address });
}

/**
 * The amount to move out of `holder`'s balance: a decimal number, or "all" for the whole balance
 * now. More than the balance stops here unless transactions still unmined may change it.
 */
async function amountFrom(env: TxEnvironment, tokenAddress: string, holder: string, text: string, decimals: number, warnings: FieldText[]): Promise<bigint> {
  const balance = await view<bigint>(contractAt(env, "SecurityToken", tokenAddress), "balanceOf", holder);
  if (text.trim().toLowerCase() === "all") {
    if (balance === 0n) throw new InputError("amount", (field) => `${field("amount")} all: ${holder} holds no shares`);
    return balance;
  }
  const amount = parseTokenAmount(text, decimals, "amount");
  if (amount > balance) {
    const message = `${holder} holds only ${formatTokenAmount(balance, decimals)}`;
    if (!(await hasUnmined(env))) throw new InputError("amount", message);
    warnings.push((field) => `${field("amount")}: ${message} now (transactions not mined yet may change that)`);
  }
  return amount;
}

/**
 * Prepares `forceTransfer(from, to, amount, reason)`: moves shares without the holder's signature,
 * for a lost private key, a court order or the reversal of an unauthorised trade. The reason is
 * emitted on chain in the ForcedTransfer event and kept in the transaction's note.
 */
export async function prepareForceTransfer(
  env: TxEnvironment,
  request: { tokenAddress: string; from: string; to: string; amount: string; reason: string },
): Promise<RecoveryResult> {
  validateText(request.reason, "reason", 1000);
  if (request.from === request.to) throw new InputError("to", (field) => `${field("to")}: must differ from ${field("from")}`);
  if (request.to === ZeroAddress) throw new InputError("to", "shares cannot be moved to the zero address; use burn");
  await securityTokenWithRole(env, request.tokenAddress, "FORCE_TRANSFER_ROLE", env.address, "force transfer");
  const info = await erc20Info(env, request.tokenAddress);
  const warnings: FieldText[] = [];
  const amount = await amountFrom(env, request.tokenAddress, request.from, request.amount, info.decimals, warnings);
  warnings.push(...(await whitelistWarnings(env, request.tokenAddress, request.to)));
  const amountText = formatTokenAmount(amount, info.decimals);
  const reason = request.reason.trim();
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call(
      "SecurityToken",
      request.tokenAddress,
      "forceTransfer",
      [request.from, request.to, amount, reason],
      `Force transfer of ${amountText} ${info.symbol} from ${request.from} to ${request.to}: ${reason}`,
      { receiver: request.to },
    );
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { amount, amountText, symbol: info.symbol, prepared, warnings };
}

/** A restricted token's new holder must be whitelisted to transfer, be paid or vote. */
async function whitelistWarnings(env: TxEnvironment, tokenAddress: string, holder: string): Promise<FieldText[]> {
  const verifier = await tryView<string>(contractAt(env, "SecurityToken", tokenAddress), "transferVerifier");
  if (!verifier || verifier === ZeroAddress) return [];
  const kyc = await tryView<string>(contractAt(env, "RestrictedTransferAgent", verifier), "kyc");
  if (!kyc || kyc === ZeroAddress) return [];
  const whitelisted = await tryView<boolean>(contractAt(env, "BasicKYC", kyc), "isWhitelisted", holder);
  if (whitelisted !== false) return [];
  return [
    (name) =>
      `${holder} is not whitelisted in KYC contract ${kyc}: it will hold the shares but cannot transfer them, nor be paid or vote where KYC applies, until "sto kyc-manage ${name("kyc-manage:whitelistAddress")}=${holder}"`,
  ];
}

/** Prepares `burnTokens(amount)`: destroys shares held by the broadcasting account (the treasury). */
export async function prepareBurn(env: TxEnvironment, request: { tokenAddress: string; amount: string }): Promise<RecoveryResult> {
  await securityTokenWithRole(env, request.tokenAddress, "BURNER_ROLE", env.address, "burn");
  const info = await erc20Info(env, request.tokenAddress);
  const warnings: FieldText[] = [];
  const amount = await amountFrom(env, request.tokenAddress, env.address, request.amount, info.decimals, warnings);
  const amountText = formatTokenAmount(amount, info.decimals);
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("SecurityToken", request.tokenAddress, "burnTokens", [amount], `Burning ${amountText} ${info.symbol} held by ${env.address}`);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { amount, amountText, symbol: info.symbol, prepared, warnings };
}
