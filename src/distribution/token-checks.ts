import { Contract, Interface, ZeroAddress, toQuantity } from "ethers";
import { AccountViewReader, type AccountView } from "../chain/balances";
import { nodeClient } from "../chain/provider";
import { readErc20Decimals } from "../chain/erc20";
import { isContractAnswer } from "../chain/failures";
import { StoError } from "../errors";
import type { ProgressListener } from "../progress";
import type { TxEnvironment } from "../tx/environment";
import { verifyBatchCalldata } from "./calldata";
import type { RowProblem } from "./problems";
import { groupByReceiver, type ValidRow } from "./validate";
import { InputError, renderFieldText, type FieldText } from "../input/fields";
import { ledgerOf, UNMINED_STATUSES, type PreparedTransaction } from "../tx/ledger";
import { pendingEffect } from "../tx/pending";
import { MODE } from "../compliance/rules";
import { pendingWhitelistings } from "../token/kyc";

/** What a distribution needs to know about the token and the sender, read at one block. */
export interface TokenState {
  address: string;
  decimals: number;
  /** The token's transfer verifier; absent for a plain ERC-20 (then there is no batchTransfer). */
  verifier?: string;
  /** The KYC contract when the verifier is a RestrictedTransferAgent. */
  kyc?: string;
  /** The token does not consult its verifier at all (it declared itself unrestricted). */
  verifierSkipped: boolean;
  /** Checkpoints make first transfers after them write history: more gas. Unknown = assume some. */
  checkpointId?: bigint;
  /** The sender's token balance at `blockNumber`. */
  balance: bigint;
  blockNumber: number;
  /** The sender's transaction count at `blockNumber`: transactions with a lower nonce are mined. */
  minedNonce: number;
  blockGasLimit: bigint;
}

/**
 * Reads the token and the sender's position with a handful of calls, all at the same block, so that
 * the balance and the mined nonce agree with each other.
 */
export async function readTokenState(env: TxEnvironment, tokenAddress: string): Promise<TokenState> {
  const notAToken = (problem: string) => new InputError("tokenAddress", (field) => `${field("tokenAddress")} ${tokenAddress}: ${problem}`);
  if ((await env.provider.getCode(tokenAddress)) === "0x") {
    // This account's own deployment of the token, not mined yet: say so instead of "no contract".
    const deployment = (await ledgerOf(env.db).deploymentsAt(env.network, tokenAddress)).find((row) => UNMINED_STATUSES.includes(row.status));
    if (deployment) {
      const advice = pendingEffect(`the deployment of token ${tokenAddress}`, deployment);
      throw new InputError("tokenAddress", (field) => `${field("tokenAddress")} ${tokenAddress}: ${renderFieldText(advice, field)}`);
    }
    throw notAToken(`no contract there on ${env.network} (if you issued it just now: sto tx-broadcast, then sto tx-update)`);
  }
  const block = await env.provider.getBlock("latest");
  if (!block) throw new StoError(`the node of ${env.network} returned no latest block`);
  const blockTag = block.number;
  const token = new Contract(tokenAddress, env.artifacts.interfaceOf("SecurityToken"), env.provider);
  // Functions the token may lack read as undefined; a node that fails stops the command (exit 3).
  const read = async <T>(method: string, ...args: unknown[]): Promise<T | undefined> => {
    try {
      return (await token.getFunction(method)(...args, { blockTag })) as T;
    } catch (error) {
      if (isContractAnswer(error)) return undefined;
      throw error;
    }
  };
  const [decimals, balance, verifier, verifierSkipped, checkpointId, minedNonce] = await Promise.all([
    readErc20Decimals(nodeClient(env.provider), tokenAddress, blockTag).then((value) => value ?? undefined),
    read<bigint>("balanceOf", env.address),
    read<string>("transferVerifier"),
    read<boolean>("transferVerifierUnrestricted"),
    read<bigint>("currentCheckpointId"),
    env.provider.getTransactionCount(env.address, blockTag),
  ]);
  if (decimals === undefined || balance === undefined) {
    throw notAToken("the contract there is not an ERC-20 token (no decimals() or balanceOf())");
  }
  // A kyc-mode token has no verifier: it reads its investor registry (checkComplianceRules).
  const kycMode = verifier === ZeroAddress && (await read<unknown[]>("complianceRules"))?.[0] === BigInt(MODE.kyc);
  if (verifier === ZeroAddress && !kycMode) {
    throw notAToken("the token has no transfer verifier set, so every transfer would revert");
  }
  let kyc: string | undefined;
  if (verifier !== undefined && verifierSkipped !== true && !kycMode) {
    const agent = new Contract(verifier, env.artifacts.interfaceOf("RestrictedTransferAgent"), env.provider);
    try {
      kyc = (await agent.getFunction("kyc")({ blockTag })) as string;
    } catch (error) {
      // Not a RestrictedTransferAgent: another policy, checked through verifyBatch/verify only.
      if (!isContractAnswer(error)) throw error;
    }
  }
  return {
    address: tokenAddress,
    decimals: Number(decimals),
    verifier,
    kyc,
    verifierSkipped: verifierSkipped === true || kycMode,
    checkpointId,
    balance,
    blockNumber: block.number,
    minedNonce,
    blockGasLimit: block.gasLimit,
  };
}

/** Receivers per verifyBatch call: about 10M gas for a restricted token, under the eth_call gas caps of nodes. */
const VERIFY_CHUNK = 2000;

const KYC = new Interface(["function isWhitelisted(address account) view returns (bool)"]);

export interface RestrictionReport {
  /** The sender itself may not send (restricted token, sender not whitelisted). */
  senderProblem?: RowProblem;
  /** One problem per row whose receiver the token's transfer verifier would refuse. */
  problems: RowProblem[];
  /**
   * Whitelistings of this account that are not mined yet, counted as done: nonce order mines them
   * before the distribution that follows (one line each, to say so).
   */
  pendingCounted: string[];
}

/** The line that says a pending whitelisting was counted as done. */
function countedAsDone(address: string, row: PreparedTransaction): string {
  const where = row.txHash ? `transaction ${row.txHash} (nonce ${row.nonce}, ${row.status})` : `prepared transaction nonce ${row.nonce} (${row.status})`;
  return `counting the whitelisting of ${address} in ${where} as done: it is not mined yet, and nonce order mines it before these payments (if it fails, they fail too)`;
}

/**
 * Finds the rows the token's transfer verifier would refuse, before anything is prepared: on a
 * restricted token, every receiver (and the sender) must be whitelisted in its KYC contract.
 * The common case costs one verifyBatch call per 2,000 receivers; only a chunk that is refused is
 * looked at address by address to name the rows.
 */
export async function checkTransferRestrictions(
  env: TxEnvironment,
  state: TokenState,
  rows: readonly ValidRow[],
  onProgress?: ProgressListener,
  grouped?: ReadonlyMap<string, readonly ValidRow[]>,
): Promise<RestrictionReport> {
  if (!state.verifier || state.verifierSkipped || rows.length === 0) return { problems: [], pendingCounted: [] };
  const blockTag = state.blockNumber;
  const verifierAbi = new Interface([
    "function verify(address from, address to, uint256 value) view returns (bool)",
    "function verifyBatch(address from, address[] to) view returns (bool)",
  ]);
  const kyc = state.kyc ? new Contract(state.kyc, env.artifacts.interfaceOf("BasicKYC"), env.provider) : undefined;
  const report: RestrictionReport = { problems: [], pendingCounted: [] };
  let pendingMap: Map<string, PreparedTransaction> | undefined;
  const pending = async () => (pendingMap ??= await pendingWhitelistings(env, state.kyc as string));

  let senderAllowed = true;
  if (kyc) {
    senderAllowed = (await kyc.getFunction("isWhitelisted")(env.address, { blockTag })) as boolean;
    if (!senderAllowed) {
      const whitelisting = (await pending()).get(env.address.toLowerCase());
      if (whitelisting) {
        report.pendingCounted.push(countedAsDone(env.address, whitelisting));
      } else {
        report.senderProblem = {
          reason: (name) =>
            `the broadcasting account ${env.address} is not whitelisted in KYC contract ${state.kyc} of this restricted token, so it cannot send: sto kyc-manage ${name("kyc-manage:whitelistAddress")}=${env.address}`,
        };
      }
    }
  }

  // One check per distinct receiver; rows repeat receivers.
  const rowsByReceiver = grouped ?? groupByReceiver(rows);
  const receivers = [...rowsByReceiver.keys()];
  const chunks: string[][] = [];
  for (let start = 0; start < receivers.length; start += VERIFY_CHUNK) chunks.push(receivers.slice(start, start + VERIFY_CHUNK));

  // With the sender refused, verifyBatch says no to everything: go straight to the receivers.
  const verifyBatch = async (chunk: string[]): Promise<boolean> => {
    // A plain eth_call: provider.call re-parses and re-hexlifies the 64 kB of calldata (50 ms a call).
    const request = { to: state.verifier, data: verifyBatchCalldata(env.address, chunk) };
    const result = (await env.provider.send("eth_call", [request, toQuantity(blockTag)])) as string;
    return verifierAbi.decodeFunctionResult("verifyBatch", result)[0] as boolean;
  };
  let checked = 0;
  const checkChunk = async (chunk: string[]): Promise<string[][]> => {
    const allowed = await verifyBatch(chunk);
    checked += chunk.length;
    onProgress?.("Checking receivers", checked, receivers.length, "addresses");
    return allowed ? [] : [chunk];
  };
  const refusedChunks = senderAllowed ? (await Promise.all(chunks.map(checkChunk))).flat() : chunks;

  // Only refused chunks are looked at address by address, hundreds per request (AccountViewReader).
  const suspects = refusedChunks.flat();
  const target = kyc ? (state.kyc as string) : state.verifier;
  const view: AccountView<string> = {
    data: (receiver) =>
      kyc
        ? KYC.encodeFunctionData("isWhitelisted", [receiver])
        : verifierAbi.encodeFunctionData("verify", [env.address, receiver, (rowsByReceiver.get(receiver) as readonly ValidRow[])[0].amount]),
    decode: (result) => result,
  };
  const read = await new AccountViewReader(nodeClient(env.provider), target, blockTag, view, undefined, 250).read(suspects);
  const answers = suspects.map((receiver) => read.get(receiver) ?? null);
  const verdicts = suspects.map((receiver, index): [string, boolean] => {
    const answer = answers[index];
    const fn = kyc ? "isWhitelisted" : "verify";
    if (answer === null) throw new StoError(`${kyc ? `KYC contract ${state.kyc}` : `transfer verifier ${state.verifier}`} refused ${fn}(${receiver}) at block ${blockTag}`);
    return [receiver, (kyc ? KYC : verifierAbi).decodeFunctionResult(fn, answer)[0] as boolean];
  });
  for (const [receiver, allowed] of verdicts) {
    if (allowed) continue;
    const whitelisting = kyc ? (await pending()).get(receiver.toLowerCase()) : undefined;
    if (whitelisting) {
      report.pendingCounted.push(countedAsDone(receiver, whitelisting));
      continue;
    }
    const reason: FieldText = kyc
      ? (name) => `not whitelisted in KYC contract ${state.kyc} of this restricted token (sto kyc-manage ${name("kyc-manage:whitelistAddress")}=${receiver})`
      : `the token's transfer verifier ${state.verifier} refuses transfers to this address`;
    for (const row of rowsByReceiver.get(receiver) as readonly ValidRow[]) {
      report.problems.push({ row: row.row, field: "address", value: receiver, reason });
    }
  }
  return report;
}
