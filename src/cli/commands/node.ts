import type { Command } from "commander";
import { HDNodeWallet, Mnemonic } from "ethers";
import { DEVELOPMENT_MNEMONIC, startLocalChain } from "../../chain/local-node";
import { action } from "../action";
import { parseCountOption } from "../parse-options";

export function register(program: Command): void {
  program
    .command("node")
    .description(
      "Run the embedded local Ethereum chain (Hardhat) on 127.0.0.1 until interrupted.\n\nIts development accounts are funded and their keys are public (mnemonic \"test test ... junk\"): for trying sto out, never for real funds.",
    )
    .option("--port <port>", "TCP port to listen on", "8545")
    .option("--hostname <host>", "interface to listen on (default 127.0.0.1, or STO_NODE_HOSTNAME: 0.0.0.0 in the Docker image)", process.env.STO_NODE_HOSTNAME || "127.0.0.1")
    .option("--accounts <count>", "number of funded development accounts", "20")
    .option("--log-calls", "print every JSON-RPC call served")
    .action(
      action(async (ctx, options: { port: string; hostname: string; accounts: string; logCalls?: boolean }) => {
        const port = parseCountOption(options.port, "--port", 0, 65_535);
        const accounts = parseCountOption(options.accounts, "--accounts", 1, 10_000);
        const chain = await startLocalChain({ port, hostname: options.hostname, accounts, logging: options.logCalls });
        ctx.out.result(`Local chain (chain id 31337) serving JSON-RPC at ${chain.url}`);
        const mnemonic = Mnemonic.fromPhrase(DEVELOPMENT_MNEMONIC);
        const shown = Math.min(accounts, 5);
        for (let index = 0; index < shown; index++) {
          const wallet = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`);
          ctx.out.info(`Account #${index}: ${wallet.address} (10000 ETH)`);
        }
        ctx.out.info("These development accounts have public keys: never send real funds to them. Press Ctrl+C to stop.");
        ctx.out.data({ url: chain.url, chainId: 31337 });
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        await chain.close();
      }),
    );
}
