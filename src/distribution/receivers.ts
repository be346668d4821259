import { checksumAddress } from "../chain/checksum";
import { readHasCode } from "../chain/codes";
import { nodeClient } from "../chain/provider";
import { RpcError } from "../chain/rpc";
import { StoError } from "../errors";
import type { FieldText } from "../input/fields";
import type { TxEnvironment } from "../tx/environment";
import { formatProblem, type DistributionOrigin, type RowProblem } from "./problems";
import type { TokenState } from "./token-checks";
import { groupByReceiver, type ValidRow } from "./validate";

/** Contract receivers named one by one; beyond these, a count. */
const NAMED_CONTRACTS = 20;

export interface ReceiverReport {
  /** Rows whose receiver is the token contract itself. */
  problems: RowProblem[];
  /** One per contract receiver: it may be unable to move what it receives. */
  warnings: FieldText[];
}

/**
 * Receivers that are contracts (issue 15, docs/distribution.md). The token itself is refused:
 * shares sent to it stay there, since the token has no way to send its own balance (only a forced
 * transfer moves them back). Any other address with code is accepted with a warning: a multisig or
 * a custody contract is a real shareholder, but a contract that cannot call `transfer` can never
 * move its shares. Whether every distinct receiver has code is read at the distribution's block, a
 * thousand addresses per deployless eth_call (readHasCode), never one request per row.
 */
export async function checkReceivers(
  env: TxEnvironment,
  state: TokenState,
  rows: readonly ValidRow[],
  origin: DistributionOrigin,
  grouped: ReadonlyMap<string, readonly ValidRow[]> = groupByReceiver(rows),
): Promise<ReceiverReport> {
  const report: ReceiverReport = { problems: [], warnings: [] };
  // Receivers are checksummed (validateRows): compared with the token's checksummed address, no lowercasing per row.
  const token = checksumAddress(state.address);
  const itself = grouped.get(token) ?? [];
  for (const row of itself) {
    report.problems.push({
      row: row.row,
      field: "address",
      value: row.receiver,
      reason: "is the token contract itself: shares sent there stay locked in it (only a forced transfer could move them back)",
    });
  }
  const rowsByReceiver = itself.length === 0 ? grouped : groupByReceiver(rows.filter((row) => row.receiver !== token));
  const receivers = [...rowsByReceiver.keys()];
  const { hasCode } = await readHasCode(nodeClient(env.provider), receivers, state.blockNumber);
  const contracts = receivers.filter((receiver, index) => {
    const code = hasCode[index];
    if (code instanceof RpcError) throw new StoError(`the Ethereum node refused eth_getCode of ${receiver} at block ${state.blockNumber}: ${code.rpcMessage}`);
    return code;
  });
  for (const receiver of contracts.slice(0, NAMED_CONTRACTS)) {
    const [first, ...more] = rowsByReceiver.get(receiver) as readonly ValidRow[];
    const also = more.length === 0 ? "" : ` (also row${more.length === 1 ? "" : "s"} ${more.map((row) => row.row).join(", ")})`;
    const problem: RowProblem = {
      row: first.row,
      field: "address",
      value: receiver,
      reason: `is a contract, not an account with a key: it may not be able to move the shares (make sure it can call the token's transfer)${also}`,
    };
    report.warnings.push((name) => formatProblem(origin, problem, name));
  }
  if (contracts.length > NAMED_CONTRACTS) {
    report.warnings.push(`${contracts.length - NAMED_CONTRACTS} more receivers are contracts that may not be able to move the shares`);
  }
  return report;
}
