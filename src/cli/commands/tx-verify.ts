import type { Command } from "commander";
import { StoError } from "../../errors";
import { parseAddress } from "../../input/address";
import { EtherscanClient } from "../../verify/etherscan";
import { verifyDeployments } from "../../verify/verify";
import { action } from "../action";

interface VerifyCommandOptions {
  contractAddresses?: string;
  pollInterval: string;
  timeout: string;
}

function positiveSeconds(text: string, origin: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new StoError(`${origin}: "${text}" must be a positive number of seconds`);
  return value;
}

export function register(program: Command): void {
  program
    .command("tx-verify")
    // The original's own help text calls it "sto verify".
    .alias("verify")
    .description(
      "Verify source code of contract deployment transactions on EtherScan.\n\nUses the EtherScan API (or another explorer's Etherscan-compatible API: --etherscan-api-url) to verify all successful, not yet verified contract deployments of the broadcasting account, or the given ones. Each submission is the exact solc standard-JSON input the contract was compiled from, with its compiler version and constructor arguments; the result is polled and recorded in the database (verified_at). Needs etherscan-api-key. Deployments must be mined and recorded (tx-update) first.\n\nVerify all past contract deployments:\n\n    sto tx-verify\n\nVerify certain deployed contracts:\n\n    sto tx-verify --contract-addresses=0x1D88fd4fC47711Fc28d105aE2D96A4A9E5c2ae9C,0x57aa933E93Ea627a746DD335c23A90c8D8da825B",
    )
    .option("--contract-addresses <addresses>", "Comma separated list of contract addresses to verify")
    .option("--poll-interval <seconds>", "seconds between status checks", "5")
    .option("--timeout <seconds>", "how long to wait for each contract's result", "300")
    .action(
      action(async (ctx, options: VerifyCommandOptions) => {
        const pollIntervalMs = positiveSeconds(options.pollInterval, "--poll-interval") * 1000;
        const timeoutMs = positiveSeconds(options.timeout, "--timeout") * 1000;
        const addresses = options.contractAddresses
          ?.split(",")
          .filter((part) => part.trim() !== "")
          .map((part) => parseAddress(part, "--contract-addresses"));
        const { config } = ctx;
        if (!config.etherscanApiUrl) {
          throw new StoError(`network ${config.network.name} has no Etherscan-compatible API: set etherscan-api-url (in the INI file or with --etherscan-api-url)`);
        }
        if (!config.etherscanApiKey) {
          throw new StoError("tx-verify needs an EtherScan API key: set etherscan-api-key in the INI file or the STO_ETHERSCAN_API_KEY environment variable");
        }
        const account = addresses ? "" : (await ctx.account()).address;
        const client = new EtherscanClient(config.etherscanApiUrl, config.etherscanApiKey.reveal(), config.network.chainId);
        const outcomes = await verifyDeployments(await ctx.db(), client, {
          addresses,
          account,
          network: config.network.name,
          pollIntervalMs,
          timeoutMs,
          onProgress: (message) => ctx.out.progress(message),
        });
        if (outcomes.length === 0) {
          ctx.out.result("No deployments to verify.");
        } else {
          ctx.out.table(["Address", "Contract", "Result", "Message"], outcomes.map((outcome) => [outcome.address, outcome.contractName, outcome.status, outcome.message]));
        }
        ctx.out.data({ apiUrl: config.etherscanApiUrl, outcomes });
        const failed = outcomes.filter((outcome) => outcome.status === "failed" || outcome.status === "timeout");
        if (failed.length > 0) throw new StoError(`${failed.length} of ${outcomes.length} verifications did not succeed`);
      }, { addresses: "--contract-addresses" }),
    );
}
