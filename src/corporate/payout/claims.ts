import type { PreparedTransaction } from "../../db/schema";
import { StoError } from "../../errors";
import { formatTokenAmount } from "../../input/amounts";
import { parseAddress } from "../../input/address";
import { contractAt, erc20Info, requireRole, view } from "../../token/onchain";
import { requirePayoutContract } from "./state";
import type { TxEnvironment } from "../../tx/environment";
import { prepareTransactions } from "../../tx/prepare";
import { formatTime } from "../../input/dates";
import { resolvePayoutAddress } from "./payout-token";
import { PAYOUT_FALLBACK_GAS } from "./gas";
import { refuseIfUnmined } from "../../tx/pending";

export interface PayoutCallResult {
  payoutAddress: string;
  name: string;
  amount: bigint;
  amountText: string;
  symbol: string;
  prepared: PreparedTransaction[];
}

/**
 * Prepares `reclaim(to)` after the payout's expiry: everything left in the contract (unclaimed
 * entitlements, the parts of holders who were not eligible, the rounding remainder) goes back to
 * `to`, by default the broadcasting account.
 */
export async function prepareReclaim(env: TxEnvironment, payoutOption: string | undefined, toOption: string | undefined): Promise<PayoutCallResult & { to: string }> {
  const payoutAddress = await resolvePayoutAddress(env, payoutOption);
  await requirePayoutContract(env, payoutAddress);
  const payout = contractAt(env, "Payout", payoutAddress);
  const [name, expiry, expired, currencyAddress] = await Promise.all([
    view<string>(payout, "name"),
    view<bigint>(payout, "expiry"),
    view<boolean>(payout, "isExpired"),
    view<string>(payout, "payoutToken"),
  ]);
  if (!expired) throw new StoError(`payout ${name} expires at ${formatTime(expiry)}: its funds can be reclaimed only from then on`);
  await requireRole(payout, "DEFAULT_ADMIN_ROLE", env.address, "reclaiming the payout's funds");
  const to = toOption !== undefined ? parseAddress(toOption, "to") : env.address;
  const currency = await erc20Info(env, currencyAddress);
  const amount = await view<bigint>(contractAt(env, "IERC20Metadata", currencyAddress), "balanceOf", payoutAddress);
  if (amount === 0n) throw new StoError(`payout ${name} holds nothing to reclaim`);
  await refuseIfUnmined(env, { to: payoutAddress, functionSignature: "reclaim(address)" }, `a reclaim of payout ${name}'s funds`);
  const amountText = formatTokenAmount(amount, currency.decimals);
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("Payout", payoutAddress, "reclaim", [to], `Reclaiming ${amountText} ${currency.symbol} left in expired payout ${name} to ${to}`, { receiver: to });
  }, { fallbackGas: PAYOUT_FALLBACK_GAS });
  return { payoutAddress, name, amount, amountText, symbol: currency.symbol, prepared, to };
}

/** Prepares `claim()` for the broadcasting account, a holder collecting its own payment. */
export async function prepareClaim(env: TxEnvironment, payoutOption: string | undefined): Promise<PayoutCallResult> {
  const payoutAddress = await resolvePayoutAddress(env, payoutOption);
  await requirePayoutContract(env, payoutAddress);
  const payout = contractAt(env, "Payout", payoutAddress);
  const [name, expired, eligible, claimable, shares, currencyAddress] = await Promise.all([
    view<string>(payout, "name"),
    view<boolean>(payout, "isExpired"),
    view<boolean>(payout, "isEligible", env.address),
    view<bigint>(payout, "claimable", env.address),
    view<bigint>(payout, "balanceAtCheckpoint", env.address),
    view<string>(payout, "payoutToken"),
  ]);
  if (expired) throw new StoError(`payout ${name} has expired: nothing can be claimed any more`);
  if (!eligible) throw new StoError(`account ${env.address} is not eligible for payout ${name} (excluded, or not whitelisted in its KYC contract)`);
  if (shares === 0n) throw new StoError(`account ${env.address} held no shares at the payout's checkpoint`);
  if (claimable === 0n) throw new StoError(`nothing to claim: account ${env.address} has been paid everything due from payout ${name}`);
  await refuseIfUnmined(env, { to: payoutAddress, functionSignature: "claim()" }, `a claim of account ${env.address} from payout ${name}`);
  const currency = await erc20Info(env, currencyAddress);
  const amountText = formatTokenAmount(claimable, currency.decimals);
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("Payout", payoutAddress, "claim", [], `Claiming ${amountText} ${currency.symbol} from payout ${name}`, { receiver: env.address });
  }, { fallbackGas: PAYOUT_FALLBACK_GAS });
  return { payoutAddress, name, amount: claimable, amountText, symbol: currency.symbol, prepared };
}
