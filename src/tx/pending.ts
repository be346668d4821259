import { renderFieldText, StoError, type FieldText } from "../errors";
import type { TxEnvironment } from "./environment";
import { ledgerOf, type PreparedTransaction } from "./ledger";

/**
 * Advice for a check that reads chain state this account's own earlier transaction is about to
 * change: `what` (e.g. "the deployment of token 0x…") is in that transaction, not mined yet, so the
 * way on is to let it be mined, not to do again what the user already did.
 */
export function pendingEffect(what: string, row: Pick<PreparedTransaction, "nonce" | "status" | "txHash">): FieldText {
  if (row.status === "waiting" || row.txHash === null) {
    return (name) => `${what} is prepared in transaction nonce ${row.nonce} but not sent yet: send it and wait for it with \`sto tx-broadcast ${name("tx-broadcast:wait")}\``;
  }
  if (row.status === "dropped") {
    return (name) => `${what} is in transaction ${row.txHash} (nonce ${row.nonce}), which the node dropped: send it again and wait for it with \`sto tx-broadcast ${name("tx-broadcast:wait")}\``;
  }
  return (name) => `${what} is pending in transaction ${row.txHash} (nonce ${row.nonce}, ${row.status}): wait for it with \`sto tx-update ${name("tx-update:wait")}\``;
}

/**
 * Refuses to prepare a call that this account has already prepared and not yet mined. For calls
 * the contract accepts once per account (a payout claim or reclaim, a vote), the view that guards
 * them does not change until the first one is mined, so without this a second run would send a
 * second transaction that can only fail or be paid nothing, at the account's gas.
 */
export async function refuseIfUnmined(env: TxEnvironment, call: { to: string; functionSignature: string }, what: string): Promise<void> {
  const pending = await ledgerOf(env.db).firstUnmined({ network: env.network, from: env.address, to: call.to, functions: [call.functionSignature] });
  if (pending === undefined) return;
  const advice = pendingEffect(what, pending);
  throw new StoError((name) => `${renderFieldText(advice, name)}; not prepared a second time`);
}
