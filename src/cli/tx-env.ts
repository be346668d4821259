import type { SigningEnvironment, TxEnvironment } from "../tx/environment";
import type { CommandContext } from "./context";

/** The transaction services' environment for this command: node, database, account, gas settings. */
export async function txEnvironment(ctx: CommandContext): Promise<TxEnvironment> {
  return (await signingEnvironment(ctx)) as TxEnvironment;
}

export async function signingEnvironment(ctx: CommandContext): Promise<SigningEnvironment> {
  const chain = await ctx.chain();
  const signer = await ctx.signer();
  return {
    db: ctx.db(),
    provider: chain.provider,
    network: ctx.config.network.name,
    chainId: chain.chainId,
    address: signer.address,
    wallet: signer.wallet,
    artifacts: ctx.artifacts(),
    gasLimit: ctx.config.gasLimit,
    gasPriceWei: ctx.config.gasPriceWei,
    autoRestartNonce: ctx.config.autoRestartNonce,
    debug: (message) => ctx.out.debug(message),
  };
}
