import { Interface } from "ethers";
import { nodeClient } from "../chain/connection";
import { BatchUnsupportedError, RpcError, toBlockTag, type RpcRequest } from "../chain/rpc";
import { RESTRICTION_NAMES } from "../compliance/rules";
import { readComplianceRules, type ComplianceRules } from "../compliance/service";
import type { ProgressListener } from "../progress";
import { formatTokenAmount } from "../input/amounts";
import { roleId } from "../token/onchain";
import type { TxEnvironment } from "../tx/environment";
import type { TokenState } from "./token-checks";
import type { RowProblem } from "./problems";
import type { ValidRow } from "./validate";

const TOKEN = new Interface([
  "function detectTransferRestriction(address from, address to, uint256 value) view returns (uint8)",
  "function messageForTransferRestriction(uint8 code) view returns (string)",
  "function balanceOf(address account) view returns (uint256)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function holding(address account) view returns (uint256 balance, bool frozen, uint256 frozenTokens, uint256 locked, uint256 transferable, uint256 nextRelease)",
]);

/** eth_calls per JSON-RPC batch. */
const BATCH = 200;

/** Codes that concern the sender or the whole token: reported once for the file, not per row. */
const TOKEN_WIDE = new Set([1, 2, 7, 13, 14]);
/** Codes that concern the receiver alone (value 0 is sent, so balance and limit codes never come). */
const RECEIVER = new Set([3, 9, 10, 11, 12]);

/**
 * Every compliance rule of a SecurityToken against every row, before anything is prepared
 * (docs/compliance.md, docs/distribution.md). Two sources:
 *
 * - the chain: `detectTransferRestriction(sender, receiver, 0)` for each distinct receiver, at the
 *   block the distribution was planned at: pause, frozen sender or receiver, the mode's sender rule,
 *   the receiver's KYC entry (listed, expiry, class, country). With a value of 0 the balance and
 *   limit rules never answer, so the receiver's own rules are not hidden behind them;
 * - a model of the rows in file order, which the chain cannot see: the sender's transferable balance
 *   (frozen and locked tokens) against the total, the holder count as each row adds a holder
 *   ("row 57 would be holder 100"), and each receiver's balance against the max balance.
 *
 * Tokens without compliance rules (a plain ERC-20, a SecurityToken deployed before them) are not
 * looked at. The verifier's whitelist is checked by checkTransferRestrictions (code 8 is left to it).
 */
export async function checkComplianceRules(
  env: TxEnvironment,
  state: TokenState,
  rows: readonly ValidRow[],
  onProgress?: ProgressListener,
): Promise<RowProblem[]> {
  if (rows.length === 0) return [];
  const rules = await readComplianceRules(env, state.address, state.blockNumber);
  if (!rules) return [];
  const client = nodeClient(env.provider);
  const blockTag = toBlockTag(state.blockNumber);
  const call = (data: string): RpcRequest => ({ method: "eth_call", params: [{ to: state.address, data }, blockTag] });
  const decode = <T>(fn: string, result: string): T => TOKEN.decodeFunctionResult(fn, result)[0] as T;
  const problems: RowProblem[] = [];
  const format = (units: bigint): string => formatTokenAmount(units, state.decimals);

  const rowsByReceiver = new Map<string, ValidRow[]>();
  for (const row of rows) {
    const list = rowsByReceiver.get(row.receiver);
    if (list) list.push(row);
    else rowsByReceiver.set(row.receiver, [row]);
  }
  const receivers = [...rowsByReceiver.keys()];
  const needBalances = rules.holdersTracked || rules.maxBalance !== 0n;

  // The chain's answer per receiver (and its balance when a holder or balance limit applies).
  const requests: RpcRequest[] = [];
  for (const receiver of receivers) {
    requests.push(call(TOKEN.encodeFunctionData("detectTransferRestriction", [env.address, receiver, 0n])));
    if (needBalances) requests.push(call(TOKEN.encodeFunctionData("balanceOf", [receiver])));
  }
  const answers = await sendAll(client, requests, (done) => onProgress?.("Checking compliance rules", done, requests.length, "calls"));
  const perReceiver = needBalances ? 2 : 1;
  const codes = new Map<string, number>();
  const balances = new Map<string, bigint>();
  receivers.forEach((receiver, index) => {
    codes.set(receiver, Number(decode<bigint>("detectTransferRestriction", answers[index * perReceiver])));
    if (needBalances) balances.set(receiver, decode<bigint>("balanceOf", answers[index * perReceiver + 1]));
  });

  const messages = new Map<number, string>();
  const messageOf = async (code: number): Promise<string> => {
    let message = messages.get(code);
    if (message === undefined) {
      const data = TOKEN.encodeFunctionData("messageForTransferRestriction", [code]);
      message = decode<string>("messageForTransferRestriction", await client.call<string>("eth_call", [{ to: state.address, data }, blockTag]));
      messages.set(code, message);
    }
    return message;
  };
  const tokenWide = new Set<number>();
  for (const [receiver, code] of codes) {
    if (TOKEN_WIDE.has(code)) tokenWide.add(code);
    if (!RECEIVER.has(code)) continue;
    const reason = `rule ${RESTRICTION_NAMES[code]} (ERC-1404 code ${code}): ${await messageOf(code)}`;
    for (const row of rowsByReceiver.get(receiver) as ValidRow[]) problems.push({ row: row.row, field: "address", value: receiver, reason });
  }
  for (const code of tokenWide) {
    problems.push({ reason: `rule ${RESTRICTION_NAMES[code]} (ERC-1404 code ${code}): ${await messageOf(code)}${advice(code, env.address)}` });
  }

  // The sender's frozen and locked tokens against the whole distribution.
  const total = rows.reduce((sum, row) => sum + row.amount, 0n);
  const [, , frozenTokens, locked, transferable] = TOKEN.decodeFunctionResult(
    "holding",
    await client.call<string>("eth_call", [{ to: state.address, data: TOKEN.encodeFunctionData("holding", [env.address]) }, blockTag]),
  ) as unknown as [bigint, boolean, bigint, bigint, bigint];
  if (transferable < total && transferable < state.balance) {
    problems.push({
      reason: `rule tokens frozen / locked up: the broadcasting account may send only ${format(transferable)} (${format(frozenTokens)} frozen, ${format(locked)} locked up) and the rows need ${format(total)}`,
    });
  }

  // Rows the chain refuses already are left out of the model: they count only once fixed.
  const refused = new Set([...codes].filter(([, code]) => RECEIVER.has(code)).map(([receiver]) => receiver));
  const payable = rows.filter((row) => !refused.has(row.receiver));
  if (needBalances) problems.push(...(await modelLimits(env, state, rules, payable, balances, client, blockTag, format)));
  return problems;
}

/** The holder count and each receiver's balance, row after row, against the token's limits. */
async function modelLimits(
  env: TxEnvironment,
  state: TokenState,
  rules: ComplianceRules,
  rows: readonly ValidRow[],
  balances: Map<string, bigint>,
  client: ReturnType<typeof nodeClient>,
  blockTag: string,
  format: (units: bigint) => string,
): Promise<RowProblem[]> {
  const problems: RowProblem[] = [];
  let holders = rules.holders;
  let senderBalance = state.balance;
  const issuers = new Map<string, boolean>();
  const isIssuer = async (account: string): Promise<boolean> => {
    let known = issuers.get(account);
    if (known === undefined) {
      const data = TOKEN.encodeFunctionData("hasRole", [roleId("ISSUER_ROLE"), account]);
      known = TOKEN.decodeFunctionResult("hasRole", await client.call<string>("eth_call", [{ to: state.address, data }, blockTag]))[0] as boolean;
      issuers.set(account, known);
    }
    return known;
  };
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
        problems.push({
          row: row.row,
          field: "address",
          value: row.receiver,
          reason: `rule holder limit (ERC-1404 code 15): this row would make ${row.receiver} holder number ${holders}, and the token allows ${rules.maxHolders}`,
        });
      }
    }
    if (rules.maxBalance !== 0n && after > rules.maxBalance && !(await isIssuer(row.receiver))) {
      problems.push({
        row: row.row,
        field: "amount",
        value: format(row.amount),
        reason: `rule max balance (ERC-1404 code 16): ${row.receiver} would hold ${format(after)}, more than the maximum ${format(rules.maxBalance)} per holder`,
      });
    }
  }
  return problems;
}

function advice(code: number, sender: string): string {
  if (code === 1) return ": unpause it first (sto unpause)";
  if (code === 2) return `: ${sender} is frozen (sto unfreeze)`;
  if (code === 13 || code === 14) return `: ${sender} needs ISSUER_ROLE to distribute`;
  return "";
}

/** The requests in JSON-RPC batches (one at a time on a node without batches); every answer must be a result. */
async function sendAll(client: ReturnType<typeof nodeClient>, requests: RpcRequest[], progress: (done: number) => void): Promise<string[]> {
  const results: string[] = [];
  let batches = true;
  for (let start = 0; start < requests.length; start += BATCH) {
    const chunk = requests.slice(start, start + BATCH);
    let answers: (string | RpcError)[] | undefined;
    if (batches) {
      try {
        answers = await client.batch<string>(chunk);
      } catch (error) {
        if (!(error instanceof BatchUnsupportedError)) throw error;
        batches = false;
      }
    }
    answers ??= await Promise.all(chunk.map((request) => client.call<string>(request.method, request.params)));
    for (const answer of answers) {
      if (answer instanceof RpcError) throw answer;
      results.push(answer);
    }
    progress(results.length);
  }
  return results;
}
