import type { PreparedTransaction } from "../../db/schema";
import { StoError } from "../../errors";
import { formatTokenAmount, parseTokenAmount } from "../../input/amounts";
import { contractAt, erc20Info, requireDeployed, tryView, view } from "../../token/onchain";
import type { TxEnvironment } from "../../tx/environment";
import { prepareTransactions } from "../../tx/prepare";
import { deploymentOf, payoutCurrency, resolvePayoutAddress, resolvePayoutToken } from "./payout-token";
import { PAYOUT_FALLBACK_GAS } from "./gas";
import { requirePayoutContract } from "./state";
import { TOKEN_FALLBACK_GAS } from "../../token/gas";
import { ledgerOf } from "../../tx/ledger";

export interface PayoutTarget {
  payoutAddress: string;
  /** The payout's name (from the chain, or from its deployment in this database). */
  name: string;
  currency: string;
  symbol: string;
  decimals: number;
  /** Whether the Payout contract is mined already. */
  onChain: boolean;
}

/** The Payout contract a funding command works on, and its currency. */
export async function payoutTarget(env: TxEnvironment, payoutOption: string | undefined): Promise<PayoutTarget> {
  const payoutAddress = await resolvePayoutAddress(env, payoutOption);
  const deployment = await deploymentOf(env, "Payout", payoutAddress);
  const onChain = (await env.provider.getCode(payoutAddress)) !== "0x";
  if (!onChain && (!deployment || deployment.status === "failed")) {
    await requireDeployed(env, payoutAddress, "payoutAddress");
  }
  if (onChain) await requirePayoutContract(env, payoutAddress);
  const currency = await payoutCurrency(env, payoutAddress, onChain ? undefined : deployment);
  await requireDeployed(env, currency, "the payout currency");
  const info = await erc20Info(env, currency);
  const name = onChain
    ? await view<string>(contractAt(env, "Payout", payoutAddress), "name")
    : /^Payout contract (.*) for /.exec(deployment?.note ?? "")?.[1] ?? payoutAddress;
  return { payoutAddress, name, currency, symbol: info.symbol, decimals: info.decimals, onChain };
}

export interface ApproveResult {
  target: PayoutTarget;
  amount: bigint;
  amountText: string;
  balance: bigint;
  prepared: PreparedTransaction[];
  warnings: string[];
}

/**
 * Prepares `approve(payout, amount)` on the payout currency from the broadcasting account: the
 * first half of funding a payout. Without an amount, the account's whole balance is approved (as
 * the original tool did); payout-deposit then takes it all.
 */
export async function preparePayoutApprove(
  env: TxEnvironment,
  options: { payoutAddress?: string; payoutTokenAddress?: string; payoutTokenName?: string; amount?: string },
): Promise<ApproveResult> {
  const target = await payoutTarget(env, options.payoutAddress);
  if (options.payoutTokenAddress !== undefined || options.payoutTokenName !== undefined) {
    const named = await resolvePayoutToken(env, options.payoutTokenAddress, options.payoutTokenName);
    if (named !== target.currency) {
      throw new StoError(`payout ${target.name} (${target.payoutAddress}) pays in ${target.symbol || "the token"} ${target.currency}, not in ${named}`);
    }
  }
  const currency = contractAt(env, "IERC20Metadata", target.currency);
  const balance = await view<bigint>(currency, "balanceOf", env.address);
  const warnings: string[] = [];
  let amount: bigint;
  if (options.amount !== undefined) {
    amount = parseTokenAmount(options.amount, target.decimals, "amount");
    if (amount > balance) {
      warnings.push(`the account holds only ${formatTokenAmount(balance, target.decimals)} ${target.symbol}: payout-deposit will take at most that`);
    }
  } else {
    if (balance === 0n) throw new StoError(`account ${env.address} holds no ${target.symbol || target.currency} to approve`);
    amount = balance;
  }
  const amountText = formatTokenAmount(amount, target.decimals);
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("IERC20Metadata", target.currency, "approve", [target.payoutAddress, amount], `Approving ${amountText} ${target.symbol} to payout ${target.name}`);
  }, { fallbackGas: TOKEN_FALLBACK_GAS });
  return { target, amount, amountText, balance, prepared, warnings };
}

export interface DepositResult {
  target: PayoutTarget;
  /** What fundFromAllowance will take if nothing changes before it is mined (known when approved). */
  expected?: bigint;
  prepared: PreparedTransaction[];
}

/**
 * Prepares `fundFromAllowance()`: the Payout contract pulls what payout-approve allowed it, capped
 * at the account's balance (the manual's "fetch the approved tokens").
 */
export async function preparePayoutDeposit(env: TxEnvironment, payoutOption: string | undefined): Promise<DepositResult> {
  const target = await payoutTarget(env, payoutOption);
  const currency = contractAt(env, "IERC20Metadata", target.currency);
  if (target.onChain && (await tryView<boolean>(contractAt(env, "Payout", target.payoutAddress), "isExpired")) === true) {
    throw new StoError(`payout ${target.name} (${target.payoutAddress}) has expired: it takes no more deposits`);
  }
  const [allowance, balance] = await Promise.all([
    view<bigint>(currency, "allowance", env.address, target.payoutAddress),
    view<bigint>(currency, "balanceOf", env.address),
  ]);
  const approvePending = await ledgerOf(env.db).hasUnmined({
    network: env.network,
    from: env.address,
    to: target.currency,
    functions: ["approve(address,uint256)"],
  });
  if (allowance === 0n && !approvePending) {
    throw new StoError(`nothing to deposit: account ${env.address} has not approved any ${target.symbol} to payout ${target.name}; run "sto payout-approve" first`);
  }
  // The allowance on chain is the best estimate; an approval still unmined may change it.
  const expected = allowance > 0n ? (allowance < balance ? allowance : balance) : undefined;
  if (expected === 0n) throw new StoError(`nothing to deposit: account ${env.address} holds no ${target.symbol}`);
  const amountNote = expected !== undefined ? `${formatTokenAmount(expected, target.decimals)} ${target.symbol}` : `the approved ${target.symbol}`;
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("Payout", target.payoutAddress, "fundFromAllowance", [], `Depositing ${amountNote} into payout ${target.name}`);
  }, { fallbackGas: PAYOUT_FALLBACK_GAS });
  return { target, expected, prepared };
}
