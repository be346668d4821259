import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { formatTokenAmount } from "../../input/amounts";
import { formatTime } from "../../input/dates";
import { parseAddress } from "../../input/address";
import { readVotingResults } from "../../corporate/voting/ballot";
import { action } from "../action";
import { withAmounts } from "../json-amounts";
import { identityFileOption, identityNames } from "../identity-option";

/** part/whole as a percentage with two decimals, computed exactly and rounded half up. */
export function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return "0.00%";
  const hundredths = (part * 20_000n + whole) / (2n * whole);
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}%`;
}

export function register(program: Command): void {
  const command = program
    .command("voting-results")
    .description(
      "Print the tally of a vote.\n\nReads the Voting contract: the weight voted for each option (shares at the vote's checkpoint, so trading after the record date changes nothing), its share of the votes cast and of all eligible shares, the number of voters and the turnout. Quorum and majority rules are the company's to apply. --voters lists every vote cast; --identity-file (as cap-table reads it) names the voters.",
    )
    .requiredOption("--voting-address <address>", "the Voting contract")
    .option("--voters", "also list every vote cast (from the contract's Voted events)");
  identityFileOption(command)
    .action(
      action(async (ctx, options: { votingAddress: string; voters?: boolean; identityFile?: string }) => {
        const nameOf = identityNames(options.identityFile);
        const votingAddress = parseAddress(options.votingAddress, "--voting-address");
        const chain = await ctx.chain();
        const env = { db: await ctx.db(), provider: chain.provider, artifacts: ctx.artifacts(), network: ctx.config.network.name, chainId: chain.chainId };
        const results = await readVotingResults(env, votingAddress, options.voters === true);
        const shares = (units: bigint) => formatTokenAmount(units, results.token.decimals);
        ctx.out.result(`Vote: ${results.name} (${results.address})`);
        ctx.out.result(`Security token: ${results.token.name} (${results.token.symbol}) ${results.token.address}`);
        ctx.out.result(`Record date: checkpoint ${results.checkpointId}`);
        ctx.out.result(results.kyc === ZeroAddress ? "Who may vote: every holder at the checkpoint" : `Who may vote: holders whitelisted in KYC contract ${results.kyc}`);
        ctx.out.result(`${results.open ? "Open until" : "Closed at"}: ${formatTime(results.endTime)}`);
        ctx.out.table(
          ["#", "Option", `Votes (${results.token.symbol})`, "Of votes cast", "Of eligible"],
          results.options.map((option) => [
            option.index,
            option.name,
            shares(option.weight),
            percent(option.weight, results.totalVotedWeight),
            percent(option.weight, results.eligibleSupply),
          ]),
          { alignRight: [0, 2, 3, 4] },
        );
        ctx.out.result(
          `Voters: ${results.voterCount}; voted ${shares(results.totalVotedWeight)} of ${shares(results.eligibleSupply)} eligible ${results.token.symbol} (turnout ${percent(results.totalVotedWeight, results.eligibleSupply)})`,
        );
        const top = results.options.reduce((best, option) => (option.weight > best ? option.weight : best), 0n);
        const leaders = results.options.filter((option) => option.weight === top && top > 0n).map((option) => option.name);
        if (leaders.length > 0) ctx.out.result(`${results.open ? "Leading" : "Most votes"}: ${leaders.join(" and ")}${leaders.length > 1 ? " (tie)" : ""}`);
        if (results.voters) {
          ctx.out.table(
            [...(nameOf ? ["Name"] : []), "Voter", "Option", `Weight (${results.token.symbol})`, "Block", "Transaction"],
            results.voters.map((vote) => [
              ...(nameOf ? [nameOf(vote.voter) ?? ""] : []),
              vote.voter,
              results.options[vote.option]?.name ?? String(vote.option),
              shares(vote.weight),
              vote.blockNumber,
              vote.txHash,
            ]),
            { alignRight: nameOf ? [3, 4] : [2, 3] },
          );
        }
        const decimals = results.token.decimals;
        ctx.out.data({
          ...withAmounts(results, decimals, ["totalVotedWeight", "eligibleSupply"]),
          options: results.options.map((option) => withAmounts(option, decimals, ["weight"])),
          voters: results.voters?.map((vote) => ({ ...(nameOf ? { name: nameOf(vote.voter) } : {}), ...withAmounts(vote, decimals, ["weight"]) })),
        });
      }),
    );
}
