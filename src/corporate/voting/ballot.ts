import { getAddress } from "ethers";
import type { PreparedTransaction } from "../../db/schema";
import { StoError } from "../../errors";
import { formatTokenAmount } from "../../input/amounts";
import { formatTime } from "../../input/dates";
import { nodeClient } from "../../chain/provider";
import { getLogs } from "../../chain/logs";
import { deploymentBlock } from "../deployment-block";
import { contractAt, erc20Info, requireDeployed, view, type ReadEnvironment } from "../../token/onchain";
import type { TxEnvironment } from "../../tx/environment";
import { prepareTransactions } from "../../tx/prepare";
import { refuseIfUnmined } from "../../tx/pending";
import { VOTING_FALLBACK_GAS } from "./gas";
import { readRecordDateViews } from "../record-date";
import { InputError } from "../../input/fields";

export interface VotingResults {
  address: string;
  name: string;
  token: { address: string; name: string; symbol: string; decimals: number };
  checkpointId: bigint;
  kyc: string;
  /** Unix seconds from which votes are rejected. */
  endTime: number;
  open: boolean;
  options: { index: number; name: string; weight: bigint }[];
  voterCount: number;
  totalVotedWeight: bigint;
  /** All weight that could vote: supply at the checkpoint minus excluded balances. */
  eligibleSupply: bigint;
  excluded: string[];
  /** Every vote cast, from the Voted events, when asked for. */
  voters?: { voter: string; option: number; weight: bigint; blockNumber: number; txHash: string }[];
}

/**
 * Refuses an address with no contract, or with a contract that is not a Voting contract (a token:
 * a mistaken --voting-address), before anything calls it. Returns the vote's token.
 */
async function requireVotingContract(env: ReadEnvironment, votingAddress: string): Promise<string> {
  await requireDeployed(env, votingAddress, "votingAddress");
  return view<string>(contractAt(env, "Voting", votingAddress), "token").catch(() => {
    throw new InputError("votingAddress", `${votingAddress} is not a Voting contract`);
  });
}

/** Reads a Voting contract's ballot and tallies (and, with `withVoters`, every vote cast). */
export async function readVotingResults(env: ReadEnvironment, votingAddress: string, withVoters = false): Promise<VotingResults> {
  const tokenAddress = await requireVotingContract(env, votingAddress);
  const voting = contractAt(env, "Voting", votingAddress);
  const [{ name, checkpointId, kyc, eligibleSupply, excluded }, endTime, open, options, weights, voterCount, totalVotedWeight] = await Promise.all([
    readRecordDateViews(voting),
    view<bigint>(voting, "endTime"),
    view<boolean>(voting, "isOpen"),
    view<string[]>(voting, "options"),
    view<bigint[]>(voting, "results"),
    view<bigint>(voting, "voterCount"),
    view<bigint>(voting, "totalVotedWeight"),
  ]);
  const token = await erc20Info(env, tokenAddress);
  const results: VotingResults = {
    address: votingAddress,
    name,
    token: { address: getAddress(tokenAddress), name: token.name, symbol: token.symbol, decimals: token.decimals },
    checkpointId,
    kyc: getAddress(kyc),
    endTime: Number(endTime),
    open,
    options: [...options].map((option, index) => ({ index, name: option, weight: weights[index] })),
    voterCount: Number(voterCount),
    totalVotedWeight,
    eligibleSupply,
    excluded: [...excluded].map((address) => getAddress(address)),
  };
  if (withVoters) {
    const event = voting.interface.getEvent("Voted");
    const logs = await getLogs(
      nodeClient(env.provider),
      { address: votingAddress, topics: [event?.topicHash ?? ""] },
      await deploymentBlock(env.db, env.network, votingAddress),
      await env.provider.getBlockNumber(),
    );
    results.voters = logs.map((log) => {
      const parsed = voting.interface.parseLog(log);
      return {
        voter: getAddress(parsed?.args.getValue("voter") as string),
        option: Number(parsed?.args.getValue("option") as bigint),
        weight: parsed?.args.getValue("weight") as bigint,
        blockNumber: Number(log.blockNumber),
        txHash: log.transactionHash,
      };
    });
  }
  return results;
}

/** An option given by name (case-insensitive) or by its number (0-based, as voting-results shows). */
export function findOption(options: string[], given: string): number {
  const text = given.trim();
  const byName = options.findIndex((option) => option.trim().toLowerCase() === text.toLowerCase());
  if (byName >= 0) return byName;
  if (/^\d+$/.test(text) && Number(text) < options.length) return Number(text);
  throw new InputError("option", `"${text.slice(0, 60)}" is not an option of this vote; the options are ${options.map((option, index) => `${index} = ${option}`).join(", ")}`);
}

export interface VoteResult {
  votingAddress: string;
  name: string;
  option: number;
  optionName: string;
  weight: bigint;
  weightText: string;
  symbol: string;
  prepared: PreparedTransaction[];
}

/**
 * Prepares `vote(option)` for the broadcasting account (the holder's key). Everything the contract
 * would refuse is checked first, for a clear message instead of a failed transaction.
 */
export async function prepareVote(env: TxEnvironment, votingAddress: string, optionText: string): Promise<VoteResult> {
  await requireVotingContract(env, votingAddress);
  const voting = contractAt(env, "Voting", votingAddress);
  const [name, options, open, endTime, canVote, weight, ballot, tokenAddress] = await Promise.all([
    view<string>(voting, "name"),
    view<string[]>(voting, "options"),
    view<boolean>(voting, "isOpen"),
    view<bigint>(voting, "endTime"),
    view<boolean>(voting, "canVote", env.address),
    view<bigint>(voting, "weightOf", env.address),
    view<[boolean, bigint, bigint]>(voting, "voteOf", env.address),
    view<string>(voting, "token"),
  ]);
  const option = findOption([...options], optionText);
  if (!open) throw new StoError(`vote ${name} ended at ${formatTime(endTime)}`);
  if (ballot[0]) throw new StoError(`account ${env.address} has already voted ${options[Number(ballot[1])]} in ${name}; votes are final`);
  if (!canVote) throw new StoError(`account ${env.address} may not vote in ${name} (excluded, or not whitelisted in its KYC contract)`);
  if (weight === 0n) throw new StoError(`account ${env.address} held no shares at the vote's checkpoint, so it has no vote`);
  await refuseIfUnmined(env, { to: votingAddress, functionSignature: "vote(uint256)" }, `a vote of account ${env.address} in ${name}`);
  const token = await erc20Info(env, tokenAddress);
  const weightText = formatTokenAmount(weight, token.decimals);
  const prepared = await prepareTransactions(env, (builder) => {
    builder.call("Voting", votingAddress, "vote", [option], `Voting ${options[option]} in ${name} with ${weightText} ${token.symbol}`);
  }, { fallbackGas: VOTING_FALLBACK_GAS });
  return { votingAddress, name, option, optionName: options[option], weight, weightText, symbol: token.symbol, prepared };
}
