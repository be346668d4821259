import type { TxEnvironment } from "./environment";
import { ledgerOf, type AccountKey, type LedgerAccount } from "./ledger";

/** The ledger's key of the environment's broadcasting account. */
export function accountKey(env: Pick<TxEnvironment, "network" | "chainId" | "address">): AccountKey {
  return { network: env.network, chainId: env.chainId, address: env.address };
}

/** The broadcasting account's row, if this database has prepared anything for it. */
export function findAccount(env: Pick<TxEnvironment, "db" | "network" | "chainId" | "address">): Promise<LedgerAccount | undefined> {
  return ledgerOf(env.db).findAccount(accountKey(env));
}

/**
 * The broadcasting account's row, created on first use. A fresh account starts at the network's
 * nonce (auto-restart-nonce, the default) or at 0, so that transactions sent earlier by another
 * wallet do not collide with ours.
 */
export function ensureAccount(env: TxEnvironment): Promise<LedgerAccount> {
  return ledgerOf(env.db).openAccount(accountKey(env), async () =>
    env.autoRestartNonce ? env.provider.getTransactionCount(env.address, "pending") : 0,
  );
}

/** The nonce the next prepared transaction will get. */
export async function nextNonce(env: Pick<TxEnvironment, "db" | "network" | "chainId" | "address">): Promise<number | undefined> {
  return (await findAccount(env))?.nextNonce;
}

/**
 * Sets the account's next nonce from the network. Refused when the database already holds
 * transactions of this account: their nonces would collide with the new ones.
 */
export async function restartNonce(env: TxEnvironment): Promise<{ previous?: number; next: number }> {
  const networkNonce = await env.provider.getTransactionCount(env.address, "pending");
  return ledgerOf(env.db).restartNonce(accountKey(env), networkNonce, env.db.name);
}
