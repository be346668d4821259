import { ZeroAddress } from "ethers";
import { checkTokenAmount } from "../input/amounts";
import { checkAddress } from "../input/address";
import type { DistributionInputRow } from "./csv";
import type { RowProblem } from "./problems";

/** A row that passed validation: receiver checksummed, amount in base units. */
export interface ValidRow {
  row?: number;
  externalId: string;
  email: string;
  name: string;
  receiver: string;
  amount: bigint;
}

export interface ValidationOptions {
  /** The token's decimals(): amounts with more decimal places are refused, never rounded. */
  decimals: number;
  /** The broadcasting account: paying itself would move nothing and only look like a payment. */
  sender: string;
}

/** Longest external_id, email or name accepted: they go into notes and tables. */
export const MAX_TEXT_LENGTH = 256;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Checks every row and returns the valid ones and one problem per bad field, all of them (not only
 * the first), so that one run reports everything to fix. Pure: no chain, no database. The cost per
 * row is constant (a regex, one checksum hash, one bigint conversion, a map lookup).
 */
export function validateRows(rows: readonly DistributionInputRow[], options: ValidationOptions): { valid: ValidRow[]; problems: RowProblem[] } {
  const valid: ValidRow[] = [];
  const problems: RowProblem[] = [];
  const firstRowOfId = new Map<string, number | undefined>();
  const sender = options.sender.toLowerCase();
  for (const input of rows) {
    const row = input.row;
    const before = problems.length;
    const problem = (field: RowProblem["field"], value: string, reason: string) => problems.push({ row, field, value, reason });

    const externalId = input.externalId.trim();
    if (externalId === "") problem("external_id", input.externalId, "is empty: every payment needs a unique external_id");
    else if (externalId.length > MAX_TEXT_LENGTH) problem("external_id", externalId, `longer than ${MAX_TEXT_LENGTH} characters`);
    else if (CONTROL_CHARACTERS.test(externalId)) problem("external_id", externalId, "contains control characters (a line break or tab?)");
    else if (firstRowOfId.has(externalId)) {
      const first = firstRowOfId.get(externalId);
      problem("external_id", externalId, first !== undefined ? `duplicate of row ${first}` : "duplicate");
    } else firstRowOfId.set(externalId, row);

    const email = input.email.trim();
    const name = input.name.trim();
    for (const [field, value] of [
      ["email", email],
      ["name", name],
    ] as const) {
      if (value.length > MAX_TEXT_LENGTH) problem(field, value, `longer than ${MAX_TEXT_LENGTH} characters`);
      else if (CONTROL_CHARACTERS.test(value)) problem(field, value, "contains control characters (a line break or tab?)");
    }

    let receiver: string | undefined;
    const addressText = input.address.trim();
    if (addressText === "") problem("address", input.address, "is empty");
    else {
      const checked = checkAddress(addressText);
      if ("reason" in checked) problem("address", addressText, checked.reason);
      else if (checked.address === ZeroAddress) problem("address", addressText, "is the zero address: tokens sent there are lost");
      else if (checked.address.toLowerCase() === sender) problem("address", addressText, "is the broadcasting account itself");
      else receiver = checked.address;
    }

    let amount: bigint | undefined;
    const amountText = input.amount.trim();
    if (amountText === "") problem("amount", input.amount, "is empty");
    else {
      const checked = checkTokenAmount(amountText, options.decimals);
      if ("reason" in checked) {
        const reason = checked.reason.startsWith("has more than") ? `${checked.reason} (the token's decimals)` : checked.reason;
        problem("amount", amountText, reason);
      } else amount = checked.units;
    }

    if (problems.length === before && receiver !== undefined && amount !== undefined) {
      valid.push({ row, externalId, email, name, receiver, amount });
    }
  }
  return { valid, problems };
}
