import { Contract, id as keccakId, ZeroHash } from "ethers";
import { nodeClient } from "../chain/provider";
import { readErc20Metadata } from "../chain/erc20";
import { isContractAnswer } from "../chain/failures";
import type { ContractArtifacts, ContractName } from "../contracts/artifacts";
import { ExitCode, StoError } from "../errors";
import { InputError, renderFieldText } from "../input/fields";
import type { TxEnvironment } from "../tx/environment";
import { ledgerOf, UNMINED_STATUSES, type PreparedTransaction } from "../tx/ledger";
import { pendingEffect } from "../tx/pending";

/** What reading contract state needs: a node and the ABIs. */
export type ReadEnvironment = Pick<TxEnvironment, "provider" | "artifacts" | "network" | "chainId" | "db">;

/** A read-only handle on a contract of ours (or any contract with that ABI) at `address`. */
export function contractAt(env: { provider: TxEnvironment["provider"]; artifacts: ContractArtifacts }, name: ContractName, address: string): Contract {
  return new Contract(address, env.artifacts.interfaceOf(name), env.provider);
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
  const pending = (await ledgerOf(env.db).deploymentsAt(env.network, address)).find((row) => UNMINED_STATUSES.includes(row.status));
  if (pending) {
    const advice = pendingEffect(`its deployment`, pending);
    throw new InputError(field, (name) => `${name(field)} ${address} is not on chain yet: ${renderFieldText(advice, name)}`);
  }
  throw new InputError(field, `there is no contract at ${address} on ${env.network}`);
}

/**
 * A contract address this database remembers from its own deployment (the KYC contract, a Payout,
 * a payout currency): "on-chain" when the node has code there, "pending" when the deployment is
 * not mined yet. A deployment recorded as mined with no code at its address means the node is not
 * the chain this database recorded (a restarted local chain, another chain with the same id): that
 * stops with exit 4 and the way out, instead of using an address with nothing behind it.
 */
export async function checkRememberedDeployment(env: ReadEnvironment, row: PreparedTransaction, what: string): Promise<"on-chain" | "pending"> {
  const address = row.contractAddress;
  if (!address) throw new Error(`transaction ${row.id} is not a deployment`);
  if ((await env.provider.getCode(address)) !== "0x") return "on-chain";
  if (row.status === "success" || row.status === "mining") {
    throw new StoError(
      (name) =>
        `${what} ${address}: the database ${env.db.name} recorded its deployment as mined (transaction ${row.txHash ?? row.id}, status ${row.status}), but there is no code at that address on ${env.network}: ` +
        `the node is not the chain this database recorded (a restarted local chain, or another chain with the same chain id). ` +
        `Use another ${name("databaseFile")}, or run "sto db-forget-network" to archive this network's records (docs/troubleshooting.md)`,
      ExitCode.StateMismatch,
    );
  }
  return "pending";
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
