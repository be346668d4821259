import type { FieldText } from "../errors";
import type { PreparedTransaction } from "./ledger";

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
