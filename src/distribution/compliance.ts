import { getAddress, id, Interface } from "ethers";
import { AccountViewReader, BalanceReader, type AccountView } from "../chain/balances";
import { batchedReads } from "../chain/batched";
import { nodeClient } from "../chain/provider";
import { getLogs } from "../chain/logs";
import { toBlockTag } from "../chain/rpc";
import { RESTRICTION_NAMES } from "../compliance/rules";
import { readComplianceRules, type ComplianceRules } from "../compliance/service";
import { deploymentBlock } from "../corporate/deployment-block";
import { StoError } from "../errors";
import type { ProgressListener } from "../progress";
import { formatTokenAmount } from "../input/amounts";
import { roleId } from "../token/onchain";
import type { TxEnvironment } from "../tx/environment";
import type { TokenState } from "./token-checks";
import type { RowProblem } from "./problems";
import { groupByReceiver, type ValidRow } from "./validate";

const TOKEN = new Interface([
  "function detectTransferRestriction(address from, address to, uint256 value) view returns (uint8)",
  "function messageForTransferRestriction(uint8 code) view returns (string)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function holding(address account) view returns (uint256 balance, bool frozen, uint256 frozenTokens, uint256 locked, uint256 transferable, uint256 nextRelease)",
]);

/** setAddressFrozen's event: the only way an address becomes frozen or unfrozen. */
const ADDRESS_FROZEN = id("AddressFrozen(address,bool,address,string)");

/**
 * detectTransferRestriction calls per Multicall3 eth_call: in kyc mode each reads the investor
 * registry (about 10,000 gas), so 250 stay far below the nodes' eth_call gas caps.
 */
const DETECTS_PER_MULTICALL = 250;

/** Codes that concern the sender or the whole token: reported once for the file, not per row. */
const TOKEN_WIDE = new Set([1, 2, 7, 13, 14]);
/** Codes that concern the receiver alone (value 0 is sent, so balance and limit codes never come). */
const RECEIVER = new Set([3, 9, 10, 11, 12]);
const RECEIVER_FROZEN = 3;

/**
 * Every compliance rule of a SecurityToken against every row, before anything is prepared
 * (docs/compliance.md, docs/distribution.md). The chain is read only for the rules in force, and
 * never one request per row (docs/benchmarks.md):
 *
 * - the token and the sender, in one round trip: `detectTransferRestriction(sender, sender, 0)`
 *   answers pause, frozen sender, no verifier, soul-bound and time-locked for the whole file;
 *   `holding(sender)` its frozen and locked tokens against the total;
 * - frozen receivers, from the token's AddressFrozen events (setAddressFrozen is the only writer of
 *   the flag) since its deployment when sto knows that block (it deployed the token, or token-scan
 *   found it): one eth_getLogs, usually empty; otherwise `holding(receiver)`, batched;
 * - in kyc mode only, `detectTransferRestriction(sender, receiver, 0)` per distinct receiver (its
 *   KYC entry: listed, expiry, class, country), hundreds per request (Multicall3 or JSON-RPC
 *   batches). With a value of 0 the balance and limit rules never answer, so the receiver's own
 *   rules are not hidden behind them;
 * - with a holder or balance limit only, the receivers' balances (batched likewise) and a model of
 *   the rows in file order, which the chain cannot see: the holder count as each row adds a holder
 *   ("row 57 would be holder 100"), and each receiver's balance against the max balance.
 *
 * An unrestricted token with nothing frozen, no pause and no limits costs four requests whatever
 * the number of rows. Tokens without compliance rules (a plain ERC-20, a SecurityToken deployed
 * before them) are not looked at. The verifier's whitelist is checked by checkTransferRestrictions
 * (code 8 is left to it).
 */
export async function checkComplianceRules(
  env: TxEnvironment,
  state: TokenState,
  rows: readonly ValidRow[],
  onProgress?: ProgressListener,
  grouped?: ReadonlyMap<string, readonly ValidRow[]>,
): Promise<RowProblem[]> {
  if (rows.length === 0) return [];
  const rules = await readComplianceRules(env, state.address, state.blockNumber);
  if (!rules) return [];
  const node = nodeClient(env.provider);
  const call = (fn: string, args: unknown[]): string => TOKEN.encodeFunctionData(fn, args);
  const answer = (fn: string, result: string | null, of = ""): unknown[] => {
    if (result === null) throw new StoError(`the token at ${state.address} refused ${fn}(${of}) at block ${state.blockNumber}: is it a SecurityToken with compliance rules?`);
    return [...TOKEN.decodeFunctionResult(fn, result)];
  };
  // A few calls to the token in one JSON-RPC batch; null where one reverted.
  const reads = async (calls: string[]): Promise<(string | null)[]> =>
    (await batchedReads<string>(node, calls.map((data) => ({ method: "eth_call", params: [{ to: state.address, data }, toBlockTag(state.blockNumber)] })))).map(
      (result) => (typeof result === "string" ? result : null),
    );
  // One view per receiver, hundreds per request (Multicall3 or JSON-RPC batches); a refused call stops.
  const perReceiver = async <T>(
    fn: string,
    args: (receiver: string) => unknown[],
    receivers: string[],
    perMulticall?: number,
    output = 0,
  ): Promise<Map<string, T>> => {
    const view: AccountView<string> = { data: (receiver) => call(fn, args(receiver)), decode: (result) => result };
    const read = await new AccountViewReader(node, state.address, state.blockNumber, view, undefined, perMulticall || undefined).read(receivers);
    return new Map(receivers.map((receiver) => [receiver, answer(fn, read.get(receiver) ?? null, receiver)[output] as T]));
  };
  const problems: RowProblem[] = [];
  const format = (units: bigint): string => formatTokenAmount(units, state.decimals);

  const rowsByReceiver = grouped ?? groupByReceiver(rows);
  const receivers = [...rowsByReceiver.keys()];
  const needBalances = rules.holdersTracked || rules.maxBalance !== 0n;

  // The token-wide answer and the sender's holds, in one round trip.
  const [senderAnswer, holdingAnswer] = await reads([
    call("detectTransferRestriction", [env.address, env.address, 0n]),
    call("holding", [env.address]),
  ]);
  const senderCode = Number(answer("detectTransferRestriction", senderAnswer)[0] as bigint);
  // Paused or a frozen sender: every receiver's answer would be that code, hiding their own.
  const receiversVisible = senderCode !== 1 && senderCode !== 2;

  // The receivers' codes: only those the active rules can refuse are read.
  const codes = new Map<string, number>();
  if (receiversVisible && rules.mode === "kyc") {
    const answers = await perReceiver<bigint>("detectTransferRestriction", (receiver) => [env.address, receiver, 0n], receivers, DETECTS_PER_MULTICALL);
    for (const [receiver, code] of answers) codes.set(receiver, Number(code));
    onProgress?.("Checking compliance rules", receivers.length, receivers.length, "addresses");
  } else if (receiversVisible) {
    const from = await deploymentBlock(env.db, env.network, state.address);
    if (from > 0) {
      for (const receiver of await frozenAddresses(node, state, from)) {
        if (rowsByReceiver.has(receiver)) codes.set(receiver, RECEIVER_FROZEN);
      }
    } else {
      // Neither deployed here nor scanned: reading the token's whole log history from genesis would
      // cost thousands of requests on a long chain; each receiver's flag, batched, costs a few.
      const holdings = await perReceiver<boolean>("holding", (receiver) => [receiver], receivers, 0, 1);
      for (const [receiver, frozen] of holdings) if (frozen) codes.set(receiver, RECEIVER_FROZEN);
    }
  }
  const balances = needBalances ? await receiverBalances(node, state, receivers) : new Map<string, bigint>();

  const tokenWide = TOKEN_WIDE.has(senderCode) ? [senderCode] : [];
  const reported = [...new Set([...codes.values()].filter((code) => RECEIVER.has(code))), ...tokenWide];
  const messageAnswers = await reads(reported.map((code) => call("messageForTransferRestriction", [code])));
  const messages = new Map(reported.map((code, index) => [code, answer("messageForTransferRestriction", messageAnswers[index])[0] as string]));
  for (const [receiver, code] of codes) {
    if (!RECEIVER.has(code)) continue;
    const reason = `rule ${RESTRICTION_NAMES[code]} (ERC-1404 code ${code}): ${messages.get(code)}`;
    for (const row of rowsByReceiver.get(receiver) as readonly ValidRow[]) problems.push({ row: row.row, field: "address", value: receiver, reason });
  }
  for (const code of tokenWide) {
    problems.push({ reason: `rule ${RESTRICTION_NAMES[code]} (ERC-1404 code ${code}): ${messages.get(code)}${advice(code, env.address)}` });
  }

  // The sender's frozen and locked tokens against the whole distribution.
  const total = rows.reduce((sum, row) => sum + row.amount, 0n);
  const [, , frozenTokens, locked, transferable] = answer("holding", holdingAnswer) as [bigint, boolean, bigint, bigint, bigint];
  if (transferable < total && transferable < state.balance) {
    problems.push({
      reason: `rule tokens frozen / locked up: the broadcasting account may send only ${format(transferable)} (${format(frozenTokens)} frozen, ${format(locked)} locked up) and the rows need ${format(total)}`,
    });
  }

  // Rows the chain refuses already are left out of the model: they count only once fixed.
  const refused = new Set([...codes].filter(([, code]) => RECEIVER.has(code)).map(([receiver]) => receiver));
  const payable = rows.filter((row) => !refused.has(row.receiver));
  if (needBalances) problems.push(...(await modelLimits(state, rules, payable, balances, perReceiver, format)));
  return problems;
}

/**
 * The addresses (checksummed) frozen at the distribution's block: the last AddressFrozen event of
 * each address since the token's deployment block.
 */
async function frozenAddresses(node: ReturnType<typeof nodeClient>, state: TokenState, from: number): Promise<string[]> {
  const logs = await getLogs(node, { address: state.address, topics: [ADDRESS_FROZEN] }, from, state.blockNumber);
  const frozen = new Map<string, boolean>();
  for (const log of logs) {
    const account = getAddress(`0x${log.topics[1].slice(26)}`);
    frozen.set(account, BigInt(log.data.slice(0, 66)) !== 0n);
  }
  return [...frozen].filter(([, isFrozen]) => isFrozen).map(([account]) => account);
}

/** balanceOf of each receiver at the block (a refused call stops: the token answered balanceOf before). */
async function receiverBalances(node: ReturnType<typeof nodeClient>, state: TokenState, receivers: string[]): Promise<Map<string, bigint>> {
  const read = await new BalanceReader(node, state.address, state.blockNumber).read(receivers);
  return new Map(
    receivers.map((receiver) => {
      const balance = read.get(receiver);
      if (balance === null || balance === undefined) throw new StoError(`the token at ${state.address} refused balanceOf(${receiver}) at block ${state.blockNumber}`);
      return [receiver, balance];
    }),
  );
}

/**
 * The holder count and each receiver's balance, row after row, against the token's limits. Issuers
 * may exceed the max balance: ISSUER_ROLE is read, in one batch, for the receivers that would.
 */
async function modelLimits(
  state: TokenState,
  rules: ComplianceRules,
  rows: readonly ValidRow[],
  balances: Map<string, bigint>,
  perReceiver: <T>(fn: string, args: (receiver: string) => unknown[], receivers: string[]) => Promise<Map<string, T>>,
  format: (units: bigint) => string,
): Promise<RowProblem[]> {
  const found: { problem: RowProblem; unlessIssuer?: string }[] = [];
  let holders = rules.holders;
  let senderBalance = state.balance;
  for (const row of rows) {
    const before = balances.get(row.receiver) ?? 0n;
    const after = before + row.amount;
    balances.set(row.receiver, after);
    const added = before === 0n && row.amount > 0n;
    senderBalance -= row.amount;
    const senderLeaves = senderBalance === 0n && row.amount > 0n;
    if (rules.holdersTracked && added && !senderLeaves) {
      holders += 1n;
      if (rules.maxHolders !== 0n && holders > rules.maxHolders) {
        found.push({
          problem: {
            row: row.row,
            field: "address",
            value: row.receiver,
            reason: `rule holder limit (ERC-1404 code 15): this row would make ${row.receiver} holder number ${holders}, and the token allows ${rules.maxHolders}`,
          },
        });
      }
    }
    if (rules.maxBalance !== 0n && after > rules.maxBalance) {
      found.push({
        unlessIssuer: row.receiver,
        problem: {
          row: row.row,
          field: "amount",
          value: format(row.amount),
          reason: `rule max balance (ERC-1404 code 16): ${row.receiver} would hold ${format(after)}, more than the maximum ${format(rules.maxBalance)} per holder`,
        },
      });
    }
  }
  const candidates = [...new Set(found.flatMap((entry) => (entry.unlessIssuer === undefined ? [] : [entry.unlessIssuer])))];
  const roles = await perReceiver<boolean>("hasRole", (account) => [roleId("ISSUER_ROLE"), account], candidates);
  const issuers = new Set(candidates.filter((account) => roles.get(account) === true));
  return found.filter((entry) => entry.unlessIssuer === undefined || !issuers.has(entry.unlessIssuer)).map((entry) => entry.problem);
}

function advice(code: number, sender: string): string {
  if (code === 1) return ": unpause it first (sto unpause)";
  if (code === 2) return `: ${sender} is frozen (sto unfreeze)`;
  if (code === 13 || code === 14) return `: ${sender} needs ISSUER_ROLE to distribute`;
  return "";
}
