import type { Command } from "commander";
import { parseAddress } from "../../input/address";
import { prepareVote } from "../../corporate/voting/ballot";
import { action } from "../action";
import { txEnvironment } from "../tx-env";
import { broadcastNow } from "../broadcast-now";

export function register(program: Command): void {
  program
    .command("vote")
    .description(
      "Cast a holder's vote.\n\nRun with the holder's own key (--ethereum-private-key, STO_ETHEREUM_PRIVATE_KEY or a keystore): prepares voting.vote(option) in the audit database and broadcasts it at once (only prepares when the key is not on this machine), so a holder needs one command. The weight is the holder's balance at the vote's checkpoint; one vote per holder, final. Checks first that the vote is open, the holder may vote, has weight and has not voted.",
    )
    .requiredOption("--voting-address <address>", "the Voting contract")
    .requiredOption("--option <option>", "the option voted for: its name (case-insensitive) or its number as voting-results shows it")
    .action(
      action(async (ctx, options: { votingAddress: string; option: string }) => {
        const votingAddress = parseAddress(options.votingAddress, "--voting-address");
        const env = await txEnvironment(ctx);
        const result = await prepareVote(env, votingAddress, options.option);
        ctx.out.info(`Voting ${result.optionName} in ${result.name} with ${result.weightText} ${result.symbol}`);
        await broadcastNow(ctx, result.prepared);
      }),
    );
}
