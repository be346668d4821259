import { AbiCoder, getAddress, id as eventTopic } from "ethers";
import { nodeClient } from "../../chain/provider";
import { getLogs } from "../../chain/logs";
import { deploymentBlock } from "../deployment-block";
import { StoError } from "../../errors";
import type { ProgressListener } from "../../progress";
import { holderCandidates } from "../holders";
import { contractAt, erc20Info, requireDeployed, view, type ReadEnvironment } from "../../token/onchain";
import { checkpointBlock, readRecordDateViews } from "../record-date";
import { InputError } from "../../input/fields";

/** One address's position in a payout, read on chain. */
export interface HolderPosition {
  holder: string;
  /** Balance at the checkpoint, base units of the security token. */
  shares: bigint;
  excluded: boolean;
  /** Not excluded and, with a KYC contract, whitelisted now. */
  eligible: boolean;
  /** Pro-rata share of everything deposited: floor(totalFunded * shares / eligibleSupply). */
  entitlement: bigint;
  /** What the contract has paid it (payBatch or claim). */
  paid: bigint;
  /** entitlement - paid. */
  due: bigint;
  /**
   * The payout currency refused the last payment sent to it (a `PaymentFailed` event, e.g. a
   * blocklisted address) and something is still due; null otherwise.
   */
  failedPayment: FailedPayment | null;
}

/** A payment the payout currency refused: payBatch skipped the holder, who stays due. */
export interface FailedPayment {
  holder: string;
  amount: bigint;
  blockNumber: number;
  txHash: string;
}

export interface PayoutState {
  address: string;
  name: string;
  token: { address: string; name: string; symbol: string; decimals: number };
  checkpointId: bigint;
  /** The block the checkpoint was taken in (the record date). */
  checkpointBlock: number;
  checkpointTime: number | null;
  currency: { address: string; name: string; symbol: string; decimals: number };
  kyc: string;
  /** Unix seconds. */
  expiry: number;
  expired: boolean;
  eligibleSupply: bigint;
  totalFunded: bigint;
  totalPaid: bigint;
  /** totalFunded - totalPaid: still in the contract from deposits. */
  unpaid: bigint;
  excluded: string[];
  /** Every address that held shares at the checkpoint (balance > 0), excluded ones included. */
  holders: HolderPosition[];
  holderSource: string;
  /** Sum of the shares of the listed, non-excluded holders. */
  listedShares: bigint;
  /** Whether the listed holders account for the whole eligible supply (the list is complete). */
  complete: boolean;
  /** totalFunded - sum of entitlements: what rounding down leaves to nobody; known when complete. */
  roundingRemainder?: bigint;
  /** Sum of `due` over the eligible holders. */
  dueToEligible: bigint;
  /** Sum of `due` over holders that are not eligible now (not whitelisted). */
  dueToIneligible: bigint;
  /** Holders whose last payment the currency refused and who are still due (their positions' failedPayment). */
  failedPayments: FailedPayment[];
}

/** Calls made at once: ethers batches concurrent calls into JSON-RPC batches. */
const CONCURRENCY = 100;

async function mapConcurrently<T, R>(items: T[], work: (item: T) => Promise<R>, onDone?: (done: number) => void): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(start, start + CONCURRENCY).map(work))));
    onDone?.(results.length);
  }
  return results;
}

/**
 * Refuses an address with no contract, or with a contract that is not a Payout (a token, the
 * currency: a mistaken --payout-address), before anything calls it. Returns the payout's token.
 */
export async function requirePayoutContract(env: ReadEnvironment, payoutAddress: string): Promise<string> {
  await requireDeployed(env, payoutAddress, "payoutAddress");
  return view<string>(contractAt(env, "Payout", payoutAddress), "token").catch(() => {
    throw new InputError("payoutAddress", `${payoutAddress} is not a Payout contract`);
  });
}

/**
 * Reads a Payout contract and the position of every holder at its checkpoint. The holders are the
 * receivers of the token's Transfer events up to the checkpoint's block, filtered by their balance
 * at the checkpoint read on chain, so the list is exact; its completeness is checked against the
 * contract's eligible supply.
 */
export async function readPayoutState(env: ReadEnvironment, payoutAddress: string, onProgress?: ProgressListener): Promise<PayoutState> {
  const tokenAddress = await requirePayoutContract(env, payoutAddress);
  const payout = contractAt(env, "Payout", payoutAddress);
  const [{ name, checkpointId, kyc, eligibleSupply, excluded: excludedList }, currencyAddress, expiry, totalFunded, totalPaid, expired] = await Promise.all([
    readRecordDateViews(payout),
    view<string>(payout, "payoutToken"),
    view<bigint>(payout, "expiry"),
    view<bigint>(payout, "totalFunded"),
    view<bigint>(payout, "totalPaid"),
    view<boolean>(payout, "isExpired"),
  ]);
  const [tokenInfo, currencyInfo] = await Promise.all([erc20Info(env, tokenAddress), erc20Info(env, currencyAddress)]);
  const block = await checkpointBlock(env, tokenAddress, checkpointId);
  if (block === undefined) throw new StoError(`checkpoint ${checkpointId} of token ${tokenAddress} has no CheckpointCreated event on ${env.network}`);
  const blockTime = (await env.provider.getBlock(block))?.timestamp ?? null;

  const candidates = await holderCandidates(env, tokenAddress, block);
  const failures = await paymentFailures(env, payoutAddress);
  const excluded = new Set(excludedList.map((address) => getAddress(address)));
  const positions = await mapConcurrently(candidates.addresses, async (holder): Promise<HolderPosition | undefined> => {
    const shares = await view<bigint>(payout, "balanceAtCheckpoint", holder);
    if (shares === 0n) return undefined;
    const isExcluded = excluded.has(holder);
    const [eligible, entitlement, paid] = await Promise.all([
      view<boolean>(payout, "isEligible", holder),
      view<bigint>(payout, "entitlementOf", holder),
      view<bigint>(payout, "paidTo", holder),
    ]);
    const due = entitlement - paid;
    const failed = failures.get(holder);
    // A failure followed by a payment (a later payBatch or claim) leaves nothing due: no longer failed.
    return { holder, shares, excluded: isExcluded, eligible, entitlement, paid, due, failedPayment: failed !== undefined && due > 0n ? failed : null };
  }, (done) => onProgress?.("Reading holders", done, candidates.addresses.length, "holders"));
  const holders = positions.filter((position): position is HolderPosition => position !== undefined);
  const counted = holders.filter((position) => !position.excluded);
  const listedShares = counted.reduce((sum, position) => sum + position.shares, 0n);
  const complete = listedShares === eligibleSupply;
  // The same arithmetic as the contract (floor of totalFunded * shares / eligibleSupply), exact.
  const allocated = counted.reduce((sum, position) => sum + (totalFunded * position.shares) / eligibleSupply, 0n);
  return {
    address: payoutAddress,
    name,
    token: { address: getAddress(tokenAddress), name: tokenInfo.name, symbol: tokenInfo.symbol, decimals: tokenInfo.decimals },
    checkpointId,
    checkpointBlock: block,
    checkpointTime: blockTime,
    currency: { address: getAddress(currencyAddress), ...currencyInfo },
    kyc: getAddress(kyc),
    expiry: Number(expiry),
    expired,
    eligibleSupply,
    totalFunded,
    totalPaid,
    unpaid: totalFunded - totalPaid,
    excluded: [...excluded],
    holders,
    holderSource: candidates.source,
    listedShares,
    complete,
    roundingRemainder: complete ? totalFunded - allocated : undefined,
    dueToEligible: counted.filter((position) => position.eligible).reduce((sum, position) => sum + position.due, 0n),
    dueToIneligible: counted.filter((position) => !position.eligible).reduce((sum, position) => sum + position.due, 0n),
    failedPayments: holders.flatMap((position) => (position.failedPayment === null ? [] : [position.failedPayment])),
  };
}

const PAYMENT_FAILED = eventTopic("PaymentFailed(address,address,uint256)");

/** The last `PaymentFailed` of each holder (checksummed), from the payout's deployment on. */
async function paymentFailures(env: ReadEnvironment, payoutAddress: string): Promise<Map<string, FailedPayment>> {
  const logs = await getLogs(
    nodeClient(env.provider),
    { address: payoutAddress, topics: [PAYMENT_FAILED] },
    await deploymentBlock(env.db, env.network, payoutAddress),
    await env.provider.getBlockNumber(),
  );
  const failures = new Map<string, FailedPayment>();
  for (const log of logs) {
    if (log.removed || log.topics.length < 2) continue;
    const holder = getAddress(`0x${log.topics[1].slice(26)}`);
    const [amount] = AbiCoder.defaultAbiCoder().decode(["uint256"], log.data) as unknown as [bigint];
    failures.set(holder, { holder, amount, blockNumber: Number(log.blockNumber), txHash: log.transactionHash });
  }
  return failures;
}
