import fs from "node:fs";
import net from "node:net";
import type { Command } from "commander";
import { HDNodeWallet, Mnemonic } from "ethers";
import { DEVELOPMENT_MNEMONIC, startLocalChain } from "../../chain/local-node";
import { StoError } from "../../errors";
import { action } from "../action";
import { parseCount } from "../../input/numbers";

export function register(program: Command): void {
  program
    .command("node")
    .description(
      "Run the embedded local Ethereum chain (Hardhat) on 127.0.0.1 until interrupted.\n\nIts development accounts are funded and their keys are public (mnemonic \"test test ... junk\"): for trying sto out, never for real funds.",
    )
    .option("--port <port>", "TCP port to listen on", "8545")
    .option("--hostname <host>", "interface to listen on (STO_NODE_HOSTNAME overrides it: 0.0.0.0 in the Docker image)", process.env.STO_NODE_HOSTNAME || "127.0.0.1")
    .option("--accounts <count>", "number of funded development accounts", "20")
    .option("--log-calls", "print every JSON-RPC call served")
    .action(
      action(async (ctx, options: { port: string; hostname: string; accounts: string; logCalls?: boolean }) => {
        // Found before anything slow happens: once the launcher is gone, this process has no trace of it.
        const launcher = npmAncestor();
        const port = parseCount(options.port, "--port", { min: 0, max: 65_535 });
        const accounts = parseCount(options.accounts, "--accounts", { min: 1, max: 10_000 });
        let chain: Awaited<ReturnType<typeof startLocalChain>>;
        try {
          // Hardhat's server reports a busy port as an unhandled 'error' event of its WebSocket server,
          // which would crash the process with a stack: try the address first.
          if (port !== 0) await probeListen(port, options.hostname);
          chain = await startLocalChain({ port, hostname: options.hostname, accounts, logging: options.logCalls });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EADDRINUSE") {
            throw new StoError(`port ${port} on ${options.hostname} is already in use (another "sto node"?): stop that process, or start this chain elsewhere with --port N and give commands --ethereum-node-url http://${options.hostname}:N`);
          }
          if (code === "EADDRNOTAVAIL" || code === "EACCES") {
            throw new StoError(`cannot listen on ${options.hostname}:${port} (${code === "EACCES" ? "permission denied" : "no such address on this machine"}): choose another --hostname or --port`);
          }
          throw error;
        }
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
          process.once("SIGHUP", stop);
          // Started through `npx sto node`, the chain runs under npm and a shell that do not pass a kill
          // of npm's process on: stop when the npm process that started us is gone.
          if (launcher !== undefined) watchLauncher(launcher, stop);
        });
        await chain.close();
      }),
    );
}

function probeListen(port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, hostname, () => server.close(() => resolve()));
  });
}

/**
 * Calls `stop` when `launcher` (the `npm exec`/`npx` process among this process's ancestors, see
 * npmAncestor) exits; checked twice a second. Other ancestors are not watched: a chain started with
 * nohup from a shell must outlive the shell.
 */
function watchLauncher(launcher: number, stop: () => void): void {
  if (!isRunning(launcher)) {
    stop();
    return;
  }
  const timer = setInterval(() => {
    if (!isRunning(launcher)) {
      clearInterval(timer);
      stop();
    }
  }, 500);
  timer.unref();
}

/** A killed process stays a zombie until its parent collects it: that counts as gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The `npm exec`/`npx` process among this process's ancestors (Linux's /proc; elsewhere none). */
function npmAncestor(): number | undefined {
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    try {
      const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (/^npm exec |npx-cli\.js|(^|\/)npx /.test(commandLine)) return pid;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // The parent pid is the second field after the command name in parentheses.
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
