import { AbiCoder, Interface, id } from "ethers";
import { AccountViewReader, type AccountView } from "../chain/balances";
import { nodeClient } from "../chain/provider";
import { RpcError, toBlockTag } from "../chain/rpc";
import { formatTime } from "../input/dates";
import { roleId } from "../token/onchain";
import type { TxEnvironment } from "../tx/environment";
import type { RowProblem } from "./problems";
import type { TokenState } from "./token-checks";
import type { ValidRow } from "./validate";

const TOKEN = new Interface([
  "function MAX_LOCKUPS() view returns (uint256)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function transferWithLockup(address to, uint256 value, uint256 releaseTime) returns (bool)",
  "function batchTransferWithLockup(address[] to, uint256[] values, uint256[] releaseTimes) returns (bool)",
]);

/** A holder's unreleased lock-up tranches now: how many, and the latest one's release time (0: none). */
interface Lockups {
  count: number;
  lastRelease: number;
}

const LOCKUPS_VIEW: AccountView<Lockups> = {
  data: (address) => `${id("lockups(address)").slice(0, 10)}${address.slice(2).toLowerCase().padStart(64, "0")}`,
  decode: (answer) => {
    if (!/^0x([0-9a-fA-F]{64}){2}$/.test(answer)) return null;
    const [count, lastRelease] = AbiCoder.defaultAbiCoder().decode(["uint256", "uint256"], answer) as unknown as [bigint, bigint];
    return { count: Number(count), lastRelease: Number(lastRelease) };
  },
};

/** Calldata of the lock-up paths: a row without a lock-up gets release time 0 (the contract locks nothing then). */
export function transferWithLockupCalldata(row: ValidRow): string {
  return TOKEN.encodeFunctionData("transferWithLockup", [row.receiver, row.amount, row.lockedUntil ?? 0]);
}

export function batchTransferWithLockupCalldata(group: readonly ValidRow[]): string {
  return TOKEN.encodeFunctionData("batchTransferWithLockup", [
    group.map((row) => row.receiver),
    group.map((row) => row.amount),
    group.map((row) => row.lockedUntil ?? 0),
  ]);
}

/**
 * What the token would refuse in a distribution with lock-ups, before anything is prepared: a token
 * without lock-ups, a sender without ISSUER_ROLE (transferWithLockup needs it), and a holder that
 * would get more unreleased tranches than the token keeps (MAX_LOCKUPS, 16: `TooManyLockups`). The
 * tranches are modelled row by row in file order as the contract adds them: a lock-up with the same
 * release time as the holder's latest tranche merges into it, any other adds one. Tranches that
 * release before the transactions are mined would free places: the check may refuse what would
 * just fit then, never the other way round.
 */
export async function checkLockups(env: TxEnvironment, state: TokenState, rows: readonly ValidRow[]): Promise<RowProblem[]> {
  const locked = rows.filter((row) => row.lockedUntil !== undefined);
  if (locked.length === 0) return [];
  const first = locked[0];
  const problem = (reason: string): RowProblem[] => [{ row: first.row, field: "locked_until", value: formatTime(first.lockedUntil ?? 0), reason }];
  const client = nodeClient(env.provider);
  const blockTag = toBlockTag(state.blockNumber);
  const call = async (data: string): Promise<string | undefined> => {
    try {
      return await client.call<string>("eth_call", [{ to: state.address, data }, blockTag]);
    } catch (error) {
      if (error instanceof RpcError) return undefined;
      throw error;
    }
  };
  const maxAnswer = await call(TOKEN.encodeFunctionData("MAX_LOCKUPS"));
  if (maxAnswer === undefined || !/^0x[0-9a-fA-F]{64}$/.test(maxAnswer)) {
    return problem(`the token at ${state.address} has no lock-ups (it is not a sto SecurityToken with compliance rules)`);
  }
  const maxLockups = Number(BigInt(maxAnswer));
  const roleAnswer = await call(TOKEN.encodeFunctionData("hasRole", [roleId("ISSUER_ROLE"), env.address]));
  if (roleAnswer === undefined || BigInt(roleAnswer) === 0n) {
    return problem(`distributing with a lock-up needs ISSUER_ROLE on the token; ${env.address} does not have it`);
  }

  const receivers = [...new Set(locked.map((row) => row.receiver))];
  const reader = new AccountViewReader(client, state.address, state.blockNumber, LOCKUPS_VIEW);
  const current = await reader.read(receivers);
  const problems: RowProblem[] = [];
  const model = new Map<string, Lockups>();
  for (const row of locked) {
    const release = row.lockedUntil as number;
    const now = model.get(row.receiver) ?? current.get(row.receiver);
    if (now === null || now === undefined) {
      problems.push({ row: row.row, field: "locked_until", value: formatTime(release), reason: `the token did not answer lockups(${row.receiver}): cannot check its lock-up tranches` });
      continue;
    }
    if (now.count > 0 && now.lastRelease === release) continue;
    const next = { count: now.count + 1, lastRelease: release };
    model.set(row.receiver, next);
    if (next.count > maxLockups) {
      problems.push({
        row: row.row,
        field: "locked_until",
        value: formatTime(release),
        reason: `rule lock-ups: this row would give ${row.receiver} unreleased lock-up tranche number ${next.count} (${now.count - (current.get(row.receiver)?.count ?? 0)} added by earlier rows), and the token keeps at most ${maxLockups} per holder (TooManyLockups)`,
      });
    }
  }
  return problems;
}
