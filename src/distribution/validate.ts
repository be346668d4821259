import { ZeroAddress } from "ethers";
import { checkTokenAmount } from "../input/amounts";
import { checkAddress } from "../input/address";
import { checksumAddress } from "../chain/checksum";
import { formatTime } from "../input/dates";
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
  /** Lock-up release time (unix seconds, in the future); absent = no lock-up. */
  lockedUntil?: number;
}

/** The rows of each distinct receiver, receivers in the order they first appear. */
export function groupByReceiver<T extends ValidRow>(rows: readonly T[]): Map<string, T[]> {
  const byReceiver = new Map<string, T[]>();
  for (const row of rows) {
    const list = byReceiver.get(row.receiver);
    if (list) list.push(row);
    else byReceiver.set(row.receiver, [row]);
  }
  return byReceiver;
}

export interface ValidationOptions {
  /** The token's decimals(): amounts with more decimal places are refused, never rounded. */
  decimals: number;
  /** The broadcasting account: paying itself would move nothing and only look like a payment. */
  sender: string;
  /** The chain's current time (unix seconds): a lock-up must end after it. Default: this machine's clock. */
  now?: number;
}

/** Longest external_id, email or name accepted: they go into notes and tables. */
export const MAX_TEXT_LENGTH = 256;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Checks every row and returns the valid ones and one problem per bad field, all of them (not only
 * the first), so that one run reports everything to fix. Pure: no chain, no database. The cost per
 * row is constant (a regex, one checksum hash, one bigint conversion, a map lookup), and a valid row
 * allocates little beyond its ValidRow: a fresh process validates 10,000 rows before V8 has
 * optimized much, and the garbage collector's work grows with what each row leaves behind.
 */
export function validateRows(rows: readonly DistributionInputRow[], options: ValidationOptions): { valid: ValidRow[]; problems: RowProblem[] } {
  const valid: ValidRow[] = [];
  const problems: RowProblem[] = [];
  const firstRowOfId = new Map<string, number | undefined>();
  // The sender checksummed once: each receiver is compared as checksummed, without lowercasing it.
  const sender = /^0x[0-9a-fA-F]{40}$/.test(options.sender) ? checksumAddress(options.sender) : undefined;
  const senderLowercase = options.sender.toLowerCase();
  const isSender = (address: string) => (sender !== undefined ? address === sender : address.toLowerCase() === senderLowercase);
  for (const input of rows) {
    const row = input.row;
    const before = problems.length;

    const externalId = input.externalId.trim();
    if (externalId === "") problems.push({ row, field: "external_id", value: input.externalId, reason: "is empty: every payment needs a unique external_id" });
    else if (externalId.length > MAX_TEXT_LENGTH) problems.push({ row, field: "external_id", value: externalId, reason: `longer than ${MAX_TEXT_LENGTH} characters` });
    else if (CONTROL_CHARACTERS.test(externalId)) problems.push({ row, field: "external_id", value: externalId, reason: "contains control characters (a line break or tab?)" });
    else if (firstRowOfId.has(externalId)) {
      const first = firstRowOfId.get(externalId);
      problems.push({ row, field: "external_id", value: externalId, reason: first !== undefined ? `duplicate of row ${first}` : "duplicate" });
    } else firstRowOfId.set(externalId, row);

    const email = input.email.trim();
    const name = input.name.trim();
    checkText(problems, row, "email", email);
    checkText(problems, row, "name", name);

    let receiver: string | undefined;
    const addressText = input.address.trim();
    if (addressText === "") problems.push({ row, field: "address", value: input.address, reason: "is empty" });
    else {
      const checked = checkAddress(addressText);
      if ("reason" in checked) problems.push({ row, field: "address", value: addressText, reason: checked.reason });
      else if (checked.address === ZeroAddress) problems.push({ row, field: "address", value: addressText, reason: "is the zero address: tokens sent there are lost" });
      else if (isSender(checked.address)) problems.push({ row, field: "address", value: addressText, reason: "is the broadcasting account itself" });
      else receiver = checked.address;
    }

    let amount: bigint | undefined;
    const amountText = input.amount.trim();
    if (amountText === "") problems.push({ row, field: "amount", value: input.amount, reason: "is empty" });
    else {
      const checked = checkTokenAmount(amountText, options.decimals);
      if ("reason" in checked) {
        const reason = checked.reason.startsWith("has more than") ? `${checked.reason} (the token's decimals)` : checked.reason;
        problems.push({ row, field: "amount", value: amountText, reason });
      } else amount = checked.units;
    }

    let lockedUntil: number | undefined;
    const lockText = input.lockedUntil === undefined ? "" : input.lockedUntil.trim();
    if (lockText !== "") {
      const checked = checkReleaseTime(lockText, options.now ?? Math.floor(Date.now() / 1000));
      if (typeof checked === "string") problems.push({ row, field: "locked_until", value: lockText, reason: checked });
      else lockedUntil = checked;
    }

    if (problems.length === before && receiver !== undefined && amount !== undefined) {
      valid.push(lockedUntil === undefined ? { row, externalId, email, name, receiver, amount } : { row, externalId, email, name, receiver, amount, lockedUntil });
    }
  }
  return { valid, problems };
}

/** An email or name: not too long, no control characters. */
function checkText(problems: RowProblem[], row: number | undefined, field: "email" | "name", value: string): void {
  if (value.length > MAX_TEXT_LENGTH) problems.push({ row, field, value, reason: `longer than ${MAX_TEXT_LENGTH} characters` });
  else if (CONTROL_CHARACTERS.test(value)) problems.push({ row, field, value, reason: "contains control characters (a line break or tab?)" });
}

/** The token stores release times in 32 bits of a word (docs/compliance.md): before 2106. */
const LAST_RELEASE_TIME = 2 ** 32 - 1;

/**
 * A lock-up's release time: unix seconds (digits only) or an ISO 8601 date or date-time (a date
 * alone is midnight UTC, a time without an offset is UTC), after `now`. The reason it is refused otherwise.
 */
export function checkReleaseTime(text: string, now: number): number | string {
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text);
    if (!match) return "is neither an ISO 8601 date (2027-06-30 or 2027-06-30T12:00:00Z) nor unix seconds";
    const [, year, month, day, hour, minute, second, zone] = match;
    const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour ?? 0), Number(minute ?? 0), Number(second ?? 0));
    const check = new Date(utc);
    if (
      check.getUTCFullYear() !== Number(year) ||
      check.getUTCMonth() !== Number(month) - 1 ||
      check.getUTCDate() !== Number(day) ||
      check.getUTCHours() !== Number(hour ?? 0) ||
      check.getUTCMinutes() !== Number(minute ?? 0) ||
      check.getUTCSeconds() !== Number(second ?? 0)
    ) {
      return "is not a valid calendar date and time";
    }
    let offsetMinutes = 0;
    if (zone && zone.toUpperCase() !== "Z") {
      const digits = zone.replace(":", "");
      offsetMinutes = (digits[0] === "-" ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    }
    seconds = Math.floor(utc / 1000) - offsetMinutes * 60;
  }
  if (seconds > LAST_RELEASE_TIME) return `is after ${formatTime(LAST_RELEASE_TIME)}, the latest release time the token can store`;
  if (seconds <= now) return `${formatTime(seconds)} is not in the future (the chain's time is ${formatTime(now)})`;
  return seconds;
}
