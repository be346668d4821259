import { Contract, id as keccakId, ZeroHash } from "ethers";
import { nodeClient } from "../chain/connection";
import { readErc20Metadata } from "../chain/erc20";
import { isContractAnswer } from "../chain/failures";
import type { ContractArtifacts, ContractName } from "../contracts/artifacts";
import { StoError } from "../errors";
import { InputError } from "../input/fields";
import type { TxEnvironment } from "../tx/environment";
import { ledgerOf } from "../tx/ledger";

/** What reading contract state needs: a node and the ABIs. */
export type ReadEnvironment = Pick<TxEnvironment, "provider" | "artifacts" | "network" | "chainId" | "db">;

/** A read-only handle on a contract of ours (or any contract with that ABI) at `address`. */
export function contractAt(env: { provider: TxEnvironment["provider"]; artifacts: ContractArtifacts }, name: ContractName, address: string): Contract {
  return new Contract(address, env.artifacts.get(name).abi, env.provider);
}

/** Calls a view function; the caller states the result type it expects from the ABI. */
export async function view<T>(contract: Contract, method: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(method)(...args)) as T;
}

/**
 * Like `view`, but undefined when the call reverts or the function does not exist there. A node
 * that fails is not such an answer: its error goes through (exit 3).
 */
export async function tryView<T>(contract: Contract, method: string, ...args: unknown[]): Promise<T | undefined> {
  try {
    return await view<T>(contract, method, ...args);
  } catch (error) {
    if (isContractAnswer(error)) return undefined;
    throw error;
  }
}

/**
 * Stops unless a contract is deployed at `address`, given in the request's `field` (or described by
 * `field` when it is not an input, e.g. "the payout currency"). A deployment prepared in this
 * database but not mined yet gets a hint to broadcast it first.
 */
export async function requireDeployed(env: ReadEnvironment, address: string, field: string): Promise<void> {
  if ((await env.provider.getCode(address)) !== "0x") return;
  const pending = (await ledgerOf(env.db).deploymentsAt(env.network, address)).at(-1);
  if (pending && pending.status !== "failed") {
    throw new InputError(
      field,
      (name) => `${name(field)} ${address} is not on chain yet (its deployment is ${pending.status}): run "sto tx-broadcast" and "sto tx-update" first`,
    );
  }
  throw new InputError(field, `there is no contract at ${address} on ${env.network}`);
}

/** Role ids as the contracts define them: keccak256 of the name; DEFAULT_ADMIN_ROLE is zero. */
export function roleId(role: string): string {
  return role === "DEFAULT_ADMIN_ROLE" ? ZeroHash : keccakId(role);
}

/**
 * Stops with a clear message when `account` lacks `role` on an AccessControl contract, instead of
 * letting a prepared transaction fail on chain later.
 */
export async function requireRole(contract: Contract, role: string, account: string, what: string): Promise<void> {
  const has = await tryView<boolean>(contract, "hasRole", roleId(role), account);
  if (has === false) {
    throw new StoError(`${what}: account ${account} does not have ${role} on ${await contract.getAddress()}; use a key that has it, or grant it with the admin key`);
  }
}

/** The SecurityToken at `tokenAddress` (the request's field of that name), once it is deployed and the account holds `role` on it. */
export async function securityTokenWithRole(env: ReadEnvironment, tokenAddress: string, role: string, account: string, what: string): Promise<Contract> {
  await requireDeployed(env, tokenAddress, "tokenAddress");
  const token = contractAt(env, "SecurityToken", tokenAddress);
  await requireRole(token, role, account, what);
  return token;
}

/** ERC-20 metadata for amounts: decimals (18 if the token does not say) and symbol. */
export async function erc20Info(env: Pick<ReadEnvironment, "provider">, address: string): Promise<{ decimals: number; symbol: string; name: string }> {
  const metadata = await readErc20Metadata(nodeClient(env.provider), address);
  return { decimals: metadata.decimals ?? 18, symbol: metadata.symbol ?? "", name: metadata.name ?? "" };
}
