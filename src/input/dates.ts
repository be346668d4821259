import { StoError } from "../errors";

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
 * machine's time zone). Returns unix seconds.
 */
export function parseFutureTime(text: string, origin: string, nowSeconds: number): number {
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
      throw new StoError(`${origin}: "${value}" is not a valid date`);
    }
    seconds = Math.floor(millis / 1000);
  } else {
    throw new StoError(`${origin}: "${value.slice(0, 40)}" is neither a duration like 90d, 12h, 2w nor a date like 2025-06-30 or 2025-06-30T12:00:00Z`);
  }
  if (!Number.isSafeInteger(seconds)) throw new StoError(`${origin}: "${value.slice(0, 40)}" is too far away`);
  if (seconds <= nowSeconds) throw new StoError(`${origin}: ${formatTime(seconds)} is not in the future (the chain's time is ${formatTime(nowSeconds)})`);
  return seconds;
}

/** Unix seconds as an ISO 8601 UTC date-time without milliseconds. */
export function formatTime(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}
