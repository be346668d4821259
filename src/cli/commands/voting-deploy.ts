import type { Command } from "commander";
import { parseFutureTime } from "../../input/dates";
import { DEFAULT_BALLOT, prepareVotingDeploy } from "../../corporate/voting/deploy";
import { action } from "../action";
import {
  addCorporateActionOptions,
  parseCorporateAction,
  printCorporateAction,
  recordDateJson,
  splitList,
  type CorporateActionOptions,
} from "../corporate-options";
import { chainNow, txEnvironment } from "../tx-env";
import { printPrepared } from "../tx-table";

interface VotingDeployOptions extends CorporateActionOptions {
  votingName: string;
  option?: string[];
  end: string;
}

export function register(program: Command): void {
  const command = program
    .command("voting-deploy")
    .description(
      `Deploys a Voting contract: an on-chain shareholder vote on one question, weighted by the shares each holder had at a record date.\n\nPrepares, in one batch: a checkpoint of the token (unless --checkpoint-id names an existing one), the Voting contract with its ballot, and its announcement on the token (token.announce). Broadcast with tx-broadcast. Holders vote with "sto vote" and their own key until --end; "sto voting-results" prints the tally. One vote per holder, final; the issuing account's treasury shares carry no vote by default; only whitelisted holders vote when the token is restricted. Without options the ballot is ${DEFAULT_BALLOT.join(", ")}.`,
    )
    .requiredOption("--token-address <address>", "address of the security token")
    .requiredOption("--voting-name <name>", "the question or title of the vote")
    .option("--option <name>", "a ballot option (repeat for each option)", (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option("--options <list>", "the ballot options, comma-separated (the original tool's additional voting contract options)")
    .option("--end <date|duration>", "when voting closes: a date (2026-06-30, 2026-06-30T12:00:00Z, UTC) or a duration from now (14d, 2w, 12h)", "30d");
  addCorporateActionOptions(command, "vote").action(
    action(async (ctx, options: VotingDeployOptions) => {
      const { tokenAddress, announcement, recordDate } = parseCorporateAction(options);
      const ballot = [...(options.option ?? []), ...splitList(options.options)];
      const env = await txEnvironment(ctx);
      const now = await chainNow(env);
      const endTime = parseFutureTime(options.end, "--end", now);
      const result = await prepareVotingDeploy(env, {
        ...recordDate,
        name: options.votingName,
        options: ballot,
        announcement,
        endTime,
      });
      printPrepared(ctx.out, env.network, result.prepared, {
        votingAddress: result.votingAddress,
        tokenAddress,
        options: result.options,
        ...recordDateJson(result),
        endTime: result.endTime,
      }, result.warnings);
      ctx.out.result(`Ballot: ${result.options.map((option, index) => `${index} = ${option}`).join(", ")}`);
      printCorporateAction(ctx.out, { ...result, endLabel: "Voting ends", end: result.endTime });
      ctx.out.result(`Voting address will be ${result.votingAddress}`);
    }, { name: "--voting-name", options: "--option" }),
  );
}
