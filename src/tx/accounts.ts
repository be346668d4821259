import { and, eq } from "drizzle-orm";
import { ExitCode, StoError } from "../errors";
import { nowIso, type StoDatabase } from "../db/database";
import { broadcastAccounts, preparedTransactions, type BroadcastAccount } from "../db/schema";
import type { TxEnvironment } from "./environment";

export function findAccount(db: StoDatabase, network: string, chainId: number, address: string): BroadcastAccount | undefined {
  return db.orm
    .select()
    .from(broadcastAccounts)
    .where(
      and(
        eq(broadcastAccounts.network, network),
        eq(broadcastAccounts.chainId, chainId),
        eq(broadcastAccounts.address, address),
      ),
    )
    .get();
}

/**
 * The broadcasting account's row, created on first use. A fresh account starts at the network's
 * nonce (auto-restart-nonce, the default) or at 0, so that transactions sent earlier by another
 * wallet do not collide with ours.
 */
export async function ensureAccount(env: TxEnvironment): Promise<BroadcastAccount> {
  const existing = findAccount(env.db, env.network, env.chainId, env.address);
  if (existing) return existing;
  const startNonce = env.autoRestartNonce ? await env.provider.getTransactionCount(env.address, "pending") : 0;
  return env.db.writeTransaction(() => {
    const raced = findAccount(env.db, env.network, env.chainId, env.address);
    if (raced) return raced;
    const now = nowIso();
    return env.db.orm
      .insert(broadcastAccounts)
      .values({
        network: env.network,
        chainId: env.chainId,
        address: env.address,
        nextNonce: startNonce,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
  });
}

/** The nonce the next prepared transaction will get. */
export function nextNonce(env: Pick<TxEnvironment, "db" | "network" | "chainId" | "address">): number | undefined {
  return findAccount(env.db, env.network, env.chainId, env.address)?.nextNonce;
}

/**
 * Sets the account's next nonce from the network. Refused when the database already holds
 * transactions of this account: their nonces would collide with the new ones.
 */
export async function restartNonce(env: TxEnvironment): Promise<{ previous?: number; next: number }> {
  const networkNonce = await env.provider.getTransactionCount(env.address, "pending");
  return env.db.writeTransaction(() => {
    const account = findAccount(env.db, env.network, env.chainId, env.address);
    if (account) {
      const existing = env.db.orm
        .select({ id: preparedTransactions.id })
        .from(preparedTransactions)
        .where(eq(preparedTransactions.accountId, account.id))
        .limit(1)
        .get();
      if (existing) {
        throw new StoError(
          `database ${env.db.file} already holds transactions of ${env.address} on ${env.network}: restarting the nonce would reuse their nonces; use a new --database-file`,
          ExitCode.StateMismatch,
        );
      }
      env.db.orm
        .update(broadcastAccounts)
        .set({ nextNonce: networkNonce, updatedAt: nowIso() })
        .where(eq(broadcastAccounts.id, account.id))
        .run();
      return { previous: account.nextNonce, next: networkNonce };
    }
    const now = nowIso();
    env.db.orm
      .insert(broadcastAccounts)
      .values({ network: env.network, chainId: env.chainId, address: env.address, nextNonce: networkNonce, createdAt: now, updatedAt: now })
      .run();
    return { next: networkNonce };
  });
}
