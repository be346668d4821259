import { truncate } from "../config/resolve";
import { InputError } from "./fields";

/** The whole numbers a count accepts; without `max`, any from `min` on. */
export interface CountRange {
  min: number;
  max?: number;
  /** What is counted, for the message ("receivers"). */
  unit?: string;
}

/** A count given as text (a batch size, a limit, a port): a whole number within `range`. */
export function parseCount(value: string, field: string, range: CountRange): number {
  const text = value.trim();
  const number = /^[0-9]{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!inRange(number, range)) throw new InputError(field, `"${truncate(value.trim())}" ${countProblem(range)}`);
  return number;
}

/** The same check on a count a program gave as a number. */
export function checkCount(value: number, field: string, range: CountRange): number {
  if (!inRange(value, range)) throw new InputError(field, `"${value}" ${countProblem(range)}`);
  return value;
}

function inRange(value: number, range: CountRange): boolean {
  return Number.isSafeInteger(value) && value >= range.min && (range.max === undefined || value <= range.max);
}

function countProblem(range: CountRange): string {
  if (range.max !== undefined) return `is not a whole number from ${range.min} to ${range.max}`;
  return `must be a whole number${range.unit ? ` of ${range.unit}` : ""}, ${range.min} or more`;
}

/** A block number: a non-negative integer. */
export function parseBlockNumber(value: string, field: string): number {
  const text = value.trim();
  if (!/^[0-9]{1,15}$/.test(text)) throw new InputError(field, `"${truncate(value)}" is not a block number`);
  return Number(text);
}

/** A non-negative integer that fits a uint256 (an announcement type, a checkpoint id). */
export function parseUint256(value: string, field: string, what = "a non-negative integer"): bigint {
  const text = value.trim();
  if (!/^\d+$/.test(text) || BigInt(text) >= 2n ** 256n) throw new InputError(field, `"${text.slice(0, 40)}" is not ${what}`);
  return BigInt(text);
}

/** 32 bytes written as hex (a document hash), lowercased. */
export function parseBytes32(value: string, field: string): string {
  const text = value.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new InputError(field, `"${text.slice(0, 70)}" is not 32 bytes of hex (0x followed by 64 hex digits)`);
  return text.toLowerCase();
}
