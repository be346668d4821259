import { InputError } from "./fields";

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 7 * 86_400,
};

/**
 * A moment in the future given as a duration from `now` ("90d", "12h", "2w", "30m", "45s") or as
 * an ISO 8601 date or date-time ("2025-06-30", "2025-06-30T12:00:00Z"; a date alone means its
 * midnight UTC; a time without an offset is read as UTC, so the result never depends on the
 * machine's time zone), given in the request's `field`. Returns unix seconds.
 */
export function parseFutureTime(text: string, field: string, nowSeconds: number): number {
  const value = text.trim();
  const duration = /^(\d+)\s*([smhdw])$/i.exec(value);
  let seconds: number;
  if (duration) {
    seconds = nowSeconds + Number(duration[1]) * UNIT_SECONDS[duration[2].toLowerCase()];
  } else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(value) && value.length > 10;
    const iso = value.length === 10 ? `${value}T00:00:00Z` : hasOffset ? value.replace(" ", "T") : `${value.replace(" ", "T")}Z`;
    const millis = Date.parse(iso);
    const [year, month, day] = value.slice(0, 10).split("-").map(Number);
    // Date.parse rolls 2025-02-30 over to March 2nd; a calendar date must exist as written.
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (Number.isNaN(millis) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
      throw new InputError(field, `"${value}" is not a valid date`);
    }
    seconds = Math.floor(millis / 1000);
  } else {
    throw new InputError(field, `"${value.slice(0, 40)}" is neither a duration like 90d, 12h, 2w nor a date like 2025-06-30 or 2025-06-30T12:00:00Z`);
  }
  if (!Number.isSafeInteger(seconds)) throw new InputError(field, `"${value.slice(0, 40)}" is too far away`);
  if (seconds <= nowSeconds) throw new InputError(field, `${formatTime(seconds)} is not in the future (the chain's time is ${formatTime(nowSeconds)})`);
  return seconds;
}

/** Unix seconds as an ISO 8601 UTC date-time without milliseconds. */
export function formatTime(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * A past moment for a historical view (cap-table's date), in the request's `field`: an ISO-8601
 * date or date and time. A date alone means the end of that day (the
 * cap table "as of 31 December" includes that day's transfers); a time without a zone is UTC.
 * Returns unix seconds.
 */
export function parseAtDate(text: string, field: string): number {
  return parseAtDateRange(text, field).end;
}

/**
 * parseAtDate's moment with the time it begins: the start of the day for a date alone (a cap
 * table "as of today" is asked for while today is under way), the moment itself otherwise.
 */
export function parseAtDateRange(text: string, field: string): { begins: number; end: number } {
  const match = text
    .trim()
    .match(/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i);
  if (!match) {
    throw new InputError(field, `"${text}" is not an ISO-8601 date (e.g. 2024-12-31 or 2024-12-31T18:00:00Z)`);
  }
  const [, year, month, day, hour, minute, second, , zone] = match;
  const dateOnly = hour === undefined;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), dateOnly ? 23 : Number(hour), dateOnly ? 59 : Number(minute), dateOnly ? 59 : Number(second ?? 0));
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    (!dateOnly && (check.getUTCHours() !== Number(hour) || check.getUTCMinutes() !== Number(minute)))
  ) {
    throw new InputError(field, `"${text}" is not a valid calendar date and time`);
  }
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const digits = zone.replace(":", "");
    offsetMinutes = (digits[0] === "-" ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const end = Math.floor(utc / 1000) - offsetMinutes * 60;
  return { begins: dateOnly ? end - (23 * 3600 + 59 * 60 + 59) : end, end };
}
