import type { SigningEnvironment, TxEnvironment } from "../tx/environment";
import type { CommandContext } from "./context";

/** The transaction services' environment for this command: node, database, account, gas settings. */
export async function txEnvironment(ctx: CommandContext): Promise<TxEnvironment> {
  const chain = await ctx.chain();
  const account = await ctx.account();
  return {
    db: await ctx.db(),
    provider: chain.provider,
    network: ctx.config.network.name,
    chainId: chain.chainId,
    address: account.address,
    artifacts: ctx.artifacts(),
    gasLimit: ctx.config.gasLimit,
    gasPriceWei: ctx.config.gasPriceWei,
    autoRestartNonce: ctx.config.autoRestartNonce,
    debug: (message) => ctx.out.debug(message),
  };
}

/** The environment of a command that signs; an error when the key is not on this machine. */
export async function signingEnvironment(ctx: CommandContext): Promise<SigningEnvironment> {
  const env = await txEnvironment(ctx);
  return { ...env, wallet: (await ctx.signer()).wallet };
}

/** Signing when the key is here, otherwise only sending what was signed elsewhere. */
export async function broadcastEnvironment(ctx: CommandContext): Promise<TxEnvironment & Partial<SigningEnvironment>> {
  const env = await txEnvironment(ctx);
  const account = await ctx.account();
  return account.signer ? { ...env, wallet: account.signer.wallet } : env;
}

/** The chain's time in Unix seconds (its latest block's), or this machine's when the node gives none. */
export async function chainNow(env: Pick<TxEnvironment, "provider">): Promise<number> {
  return (await env.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000);
}
