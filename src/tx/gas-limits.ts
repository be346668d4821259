import { isNodeUnavailable } from "../chain/rpc";
import { StoError } from "../errors";
import type { PlannedStep } from "./builder";
import type { TxEnvironment } from "./environment";
import { ledgerOf } from "./ledger";
import { describeRevert } from "./revert-reason";

/**
 * Gas limits known to suffice for calls that cannot be estimated because they depend on an earlier
 * transaction of the batch (or one not mined yet), by function signature. The modules that call a
 * contract know its functions and give their table to prepareTransactions (src/token/gas.ts,
 * src/corporate/payout/gas.ts, src/corporate/voting/gas.ts); the pipeline knows none.
 */
export type FallbackGas = Readonly<Record<string, bigint>>;

/** A call none of the given tables knows. */
const DEFAULT_FALLBACK_GAS = 1_000_000n;
/** A deployment that cannot be estimated. */
const DEPLOYMENT_FALLBACK_GAS = 6_000_000n;

/** Headroom over an estimate: state can change between preparing and mining. */
function withMargin(estimate: bigint): bigint {
  return (estimate * 125n) / 100n + 10_000n;
}

/**
 * The one gas policy of the pipeline, step by step: the forced limit (ethereum-gas-limit), the
 * caller's own limit, an estimate with a margin, or — for a call that depends on an earlier
 * transaction of the same batch or an unsent one — the caller's fallback. A call that would revert
 * on its own, with nothing pending before it, is refused here rather than failing on chain. Every
 * limit is then checked against the intrinsic cost and the block gas limit.
 */
export async function decideGasLimits(env: TxEnvironment, steps: readonly PlannedStep[], fallbackGas: FallbackGas = {}): Promise<bigint[]> {
  const limits = await chooseGasLimits(env, steps, fallbackGas);
  const blockGasLimit = (await env.provider.getBlock("latest"))?.gasLimit;
  steps.forEach((step, index) => checkGasLimit(step, limits[index], env.network, blockGasLimit));
  return limits;
}

/**
 * The limit of a step whose caller decided it without the network (a streamed plan): the forced
 * limit or the caller's, checked as decideGasLimits checks. This is the same policy's "the
 * caller's own limit": a distribution of 10,000 rows cannot estimate 10,000 transfers (minutes,
 * and impossible for transfers that depend on unmined ones), so its caller derives every limit
 * from a measured per-receiver model scaled by one estimate (src/distribution/gas.ts).
 */
export function givenGasLimit(env: TxEnvironment, step: PlannedStep, blockGasLimit: bigint): bigint {
  const gasLimit = env.gasLimit ?? step.options.gasLimit;
  if (gasLimit === undefined) throw new Error(`a streamed plan gave no gas limit for "${step.note}"`);
  checkGasLimit(step, gasLimit, env.network, blockGasLimit);
  return gasLimit;
}

/** Refuses, while nothing is written, a gas limit with which the transaction can never be mined. */
function checkGasLimit(step: PlannedStep, limit: bigint, network: string, blockGasLimit: bigint | undefined): void {
  // Below the intrinsic cost a node refuses the signed transaction outright.
  const intrinsic = intrinsicGas(step.data, step.isDeployment);
  if (limit < intrinsic) {
    throw new StoError(`${step.note}: gas limit ${limit} is below the ${intrinsic} gas any such transaction costs; raise ethereum-gas-limit`);
  }
  // Above the block gas limit the node would reject the signed transaction, and it would block
  // every later nonce.
  if (blockGasLimit !== undefined && limit > blockGasLimit) {
    throw new StoError(`${step.note}: gas limit ${limit} is above the block gas limit of ${network} (${blockGasLimit}); lower ethereum-gas-limit`);
  }
}

/** The gas a transaction costs before executing anything (EIP-2028 calldata, EIP-3860 initcode). */
export function intrinsicGas(data: string, isDeployment: boolean): bigint {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  let gas = 21_000;
  for (let offset = 0; offset < hex.length; offset += 2) gas += hex.charCodeAt(offset) === 48 && hex.charCodeAt(offset + 1) === 48 ? 4 : 16;
  if (isDeployment) gas += 32_000 + 2 * Math.ceil(hex.length / 2 / 32);
  return BigInt(gas);
}

async function chooseGasLimits(env: TxEnvironment, steps: readonly PlannedStep[], fallbackGas: FallbackGas): Promise<bigint[]> {
  if (env.gasLimit !== undefined) return steps.map(() => env.gasLimit as bigint);
  const fallback = (step: PlannedStep): bigint => fallbackGas[step.functionSignature ?? ""] ?? DEFAULT_FALLBACK_GAS;
  const deployedInBatch = new Set(steps.filter((step) => step.isDeployment).map((step) => step.contractAddress?.toLowerCase()));
  const hasCode = new Map<string, boolean>();
  const pendingBefore = await ledgerOf(env.db).hasUnmined({ network: env.network, from: env.address });
  const limits: bigint[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.options.gasLimit !== undefined) {
      limits.push(step.options.gasLimit);
      continue;
    }
    const dependsOnBatch = index > 0 || pendingBefore;
    if (!step.isDeployment && step.to) {
      const target = step.to.toLowerCase();
      if (deployedInBatch.has(target)) {
        limits.push(fallback(step));
        continue;
      }
      if (!hasCode.has(target)) hasCode.set(target, (await env.provider.getCode(step.to)) !== "0x");
      if (!hasCode.get(target)) {
        // Estimating a call to an empty address measures a plain transfer: far too little gas.
        if (!pendingBefore) throw new StoError(`${step.note}: there is no contract at ${step.to} on ${env.network}`);
        limits.push(fallback(step));
        continue;
      }
    }
    try {
      const estimate = await env.provider.estimateGas({
        from: env.address,
        to: step.isDeployment ? undefined : step.to,
        data: step.data,
        value: step.options.value ?? 0n,
      });
      limits.push(withMargin(estimate));
    } catch (error) {
      // A node that stopped answering is not a transaction that would fail.
      if (isNodeUnavailable(error)) throw error;
      if (!dependsOnBatch) {
        throw new StoError(`${step.note}: the transaction would fail: ${describeRevert(error, env.artifacts)}`);
      }
      env.debug?.(`cannot estimate gas for "${step.note}" before the earlier transactions are mined; using a fixed limit`);
      limits.push(step.isDeployment ? DEPLOYMENT_FALLBACK_GAS : fallback(step));
    }
  }
  return limits;
}
