/**
 * A strict reader of eth_getLogs answers straight from their bytes: the scan's hot path, where
 * JSON.parse built about ten strings per log (most of them thrown away at once) and the garbage
 * collector copied them. The reader checks the whole answer against JSON's grammar and hands each
 * log's known fields to the caller as byte offsets; it builds no strings.
 *
 * It answers "not sure" (false) for anything that is not plainly `{"jsonrpc":…,"id":…,"result":[{…},…]}`:
 * an "error" key, a second "result", a key written with escapes, a nesting deeper than it follows,
 * or any byte outside the grammar. The caller then parses the same bytes with JSON.parse, so an
 * unusual answer costs time, never a wrong result.
 */

/** A known field that the log did not have. */
export const ABSENT = 0;
/** A string of printable ASCII without escapes: its bytes are its characters. */
export const TEXT = 1;
export const TRUE = 2;
export const FALSE = 3;
export const NULL = 4;
/** Any other value: a number, an object, a string with escapes or non-ASCII characters. */
export const OTHER = 5;
/** A list whose items are all TEXT strings (the topics). */
export const TEXT_LIST = 6;

/** Field numbers in `LogFields`. */
export const ADDRESS = 0;
export const DATA = 1;
export const BLOCK_NUMBER = 2;
export const BLOCK_HASH = 3;
export const TRANSACTION_HASH = 4;
export const LOG_INDEX = 5;
export const REMOVED = 6;
export const BLOCK_TIMESTAMP = 7;
export const TOPICS = 8;
const FIELD_COUNT = 9;

/** The topics whose places are kept; a log has at most four. */
export const KEPT_TOPICS = 4;

/**
 * What one log held, reused from log to log: for each field its kind and, for TEXT, where its
 * characters are (`start` inclusive, `end` exclusive, quotes not included).
 */
export class LogFields {
  readonly kind = new Uint8Array(FIELD_COUNT);
  readonly start = new Int32Array(FIELD_COUNT);
  readonly end = new Int32Array(FIELD_COUNT);
  /** Items of the topics list (all of them, also past KEPT_TOPICS). */
  topicCount = 0;
  readonly topicStart = new Int32Array(KEPT_TOPICS);
  readonly topicEnd = new Int32Array(KEPT_TOPICS);
}

/**
 * Reads an eth_getLogs answer, calling `onLog` for each log in order with the same `LogFields`
 * (valid until `onLog` returns). False when the answer is not one this reader is sure of, or when
 * `onLog` returned false: the caller must then drop what it collected and parse the bytes itself.
 * True only after the whole answer, to its last byte, was read.
 */
export function readLogsAnswer(bytes: Uint8Array, onLog: (fields: LogFields) => boolean): boolean {
  return new AnswerScanner(bytes).answer(onLog);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Nesting followed inside values the reader skips; deeper ones go to JSON.parse. */
const MAX_DEPTH = 64;

const INVALID = -1;

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

const RESULT_KEY = ascii("result");
const ERROR_KEY = ascii("error");
const LOG_KEYS: [Uint8Array, number][] = [
  [ascii("address"), ADDRESS],
  [ascii("data"), DATA],
  [ascii("blockNumber"), BLOCK_NUMBER],
  [ascii("blockHash"), BLOCK_HASH],
  [ascii("transactionHash"), TRANSACTION_HASH],
  [ascii("logIndex"), LOG_INDEX],
  [ascii("removed"), REMOVED],
  [ascii("blockTimestamp"), BLOCK_TIMESTAMP],
  [ascii("topics"), TOPICS],
];
/** The log keys by length: each length has at most two. */
const LOG_KEYS_BY_LENGTH: [Uint8Array, number][][] = [];
for (const entry of LOG_KEYS) (LOG_KEYS_BY_LENGTH[entry[0].length] ??= []).push(entry);

/** Bytes that may follow a backslash in a JSON string ('u' is checked apart). */
const SIMPLE_ESCAPES = new Uint8Array(256);
for (const character of '"\\/bfnrt') SIMPLE_ESCAPES[character.charCodeAt(0)] = 1;

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(digit)] = digit;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(digit)] = digit;
}

/** The value of a hex digit's byte, -1 for any other byte. */
export function hexValue(byte: number): number {
  return HEX_VALUE[byte];
}

function equalsAt(bytes: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let index = 0; index < key.length; index++) if (bytes[start + index] !== key[index]) return false;
  return true;
}

class AnswerScanner {
  #at = 0;
  /** Where the last string read starts and ends (quotes excluded). */
  #stringStart = 0;
  #stringEnd = 0;
  readonly #bytes: Uint8Array;
  readonly #fields = new LogFields();

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  answer(onLog: (fields: LogFields) => boolean): boolean {
    const bytes = this.#bytes;
    this.#space();
    if (bytes[this.#at] !== OPEN_BRACE) return false;
    this.#at++;
    this.#space();
    let sawResult = false;
    if (bytes[this.#at] === CLOSE_BRACE) return false; // {} has no result
    for (;;) {
      this.#space();
      if (bytes[this.#at] !== QUOTE || this.#string() !== 1) return false;
      const keyStart = this.#stringStart;
      const keyEnd = this.#stringEnd;
      this.#space();
      if (bytes[this.#at] !== COLON) return false;
      this.#at++;
      this.#space();
      if (equalsAt(bytes, keyStart, keyEnd, RESULT_KEY)) {
        // JSON.parse keeps the last of two; not worth following.
        if (sawResult) return false;
        sawResult = true;
        if (!this.#logs(onLog)) return false;
      } else if (equalsAt(bytes, keyStart, keyEnd, ERROR_KEY)) {
        // The node's error answer (or an odd "error": null beside a result): the generic path decides.
        return false;
      } else if (!this.#skipValue(0)) {
        return false;
      }
      this.#space();
      const next = bytes[this.#at];
      this.#at++;
      if (next === COMMA) continue;
      if (next === CLOSE_BRACE) break;
      return false;
    }
    this.#space();
    return sawResult && this.#at === bytes.length;
  }

  #space(): void {
    const bytes = this.#bytes;
    let at = this.#at;
    for (;;) {
      const byte = bytes[at];
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) at++;
      else break;
    }
    this.#at = at;
  }

  /**
   * A string starting at the opening quote: 1 (TEXT) when it is printable ASCII without escapes,
   * OTHER when it is valid with escapes or other bytes, INVALID when JSON.parse would refuse it.
   * Bytes of 0x80 and above are not checked as UTF-8: the generic path decodes them leniently.
   */
  #string(): number {
    const bytes = this.#bytes;
    const length = bytes.length;
    let at = this.#at + 1;
    const start = at;
    let kind = TEXT;
    for (;;) {
      if (at >= length) return INVALID;
      const byte = bytes[at];
      if (byte === QUOTE) break;
      if (byte < 0x20) return INVALID;
      if (byte === BACKSLASH) {
        kind = OTHER;
        const escaped = bytes[at + 1];
        if (escaped === 0x75) {
          for (let digit = 2; digit < 6; digit++) if (at + digit >= length || HEX_VALUE[bytes[at + digit]] < 0) return INVALID;
          at += 6;
        } else if (at + 1 < length && SIMPLE_ESCAPES[escaped] === 1) {
          at += 2;
        } else {
          return INVALID;
        }
        continue;
      }
      if (byte >= 0x7f) kind = OTHER;
      at++;
    }
    this.#stringStart = start;
    this.#stringEnd = at;
    this.#at = at + 1;
    return kind;
  }

  /** `true`, `false` or `null` at the current byte: its kind, or INVALID. */
  #literal(): number {
    const bytes = this.#bytes;
    const at = this.#at;
    const first = bytes[at];
    if (first === 0x74 && bytes[at + 1] === 0x72 && bytes[at + 2] === 0x75 && bytes[at + 3] === 0x65) {
      this.#at = at + 4;
      return TRUE;
    }
    if (first === 0x66 && bytes[at + 1] === 0x61 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x73 && bytes[at + 4] === 0x65) {
      this.#at = at + 5;
      return FALSE;
    }
    if (first === 0x6e && bytes[at + 1] === 0x75 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x6c) {
      this.#at = at + 4;
      return NULL;
    }
    return INVALID;
  }

  /** A number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  #number(): boolean {
    const bytes = this.#bytes;
    let at = this.#at;
    if (bytes[at] === MINUS) at++;
    const first = bytes[at];
    if (first === DIGIT_0) {
      at++;
    } else if (first > DIGIT_0 && first <= DIGIT_9) {
      at++;
      while (bytes[at] >= DIGIT_0 && bytes[at] <= DIGIT_9) at++;
    } else {
      return false;
    }
    if (bytes[at] === DOT) {
      at++;
      if (!(bytes[at] >= DIGIT_0 && bytes[at] <= DIGIT_9)) return false;
      while (bytes[at] >= DIGIT_0 && bytes[at] <= DIGIT_9) at++;
    }
    if (bytes[at] === 0x65 || bytes[at] === 0x45) {
      at++;
      if (bytes[at] === PLUS || bytes[at] === MINUS) at++;
      if (!(bytes[at] >= DIGIT_0 && bytes[at] <= DIGIT_9)) return false;
      while (bytes[at] >= DIGIT_0 && bytes[at] <= DIGIT_9) at++;
    }
    this.#at = at;
    return true;
  }

  /** Any JSON value, checked and passed over. */
  #skipValue(depth: number): boolean {
    const bytes = this.#bytes;
    const first = bytes[this.#at];
    if (first === QUOTE) return this.#string() !== INVALID;
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) return false;
      const isObject = first === OPEN_BRACE;
      const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
      this.#at++;
      this.#space();
      if (bytes[this.#at] === close) {
        this.#at++;
        return true;
      }
      for (;;) {
        this.#space();
        if (isObject) {
          if (bytes[this.#at] !== QUOTE || this.#string() === INVALID) return false;
          this.#space();
          if (bytes[this.#at] !== COLON) return false;
          this.#at++;
          this.#space();
        }
        if (!this.#skipValue(depth + 1)) return false;
        this.#space();
        const next = bytes[this.#at];
        this.#at++;
        if (next === COMMA) continue;
        return next === close;
      }
    }
    if (first === MINUS || (first >= DIGIT_0 && first <= DIGIT_9)) return this.#number();
    return this.#literal() !== INVALID;
  }

  /** The result's list of logs. */
  #logs(onLog: (fields: LogFields) => boolean): boolean {
    const bytes = this.#bytes;
    if (bytes[this.#at] !== OPEN_BRACKET) return false;
    this.#at++;
    this.#space();
    if (bytes[this.#at] === CLOSE_BRACKET) {
      this.#at++;
      return true;
    }
    for (;;) {
      this.#space();
      if (!this.#log() || !onLog(this.#fields)) return false;
      this.#space();
      const next = bytes[this.#at];
      this.#at++;
      if (next === COMMA) continue;
      return next === CLOSE_BRACKET;
    }
  }

  /** One log object into `#fields`. */
  #log(): boolean {
    const bytes = this.#bytes;
    const fields = this.#fields;
    if (bytes[this.#at] !== OPEN_BRACE) return false;
    fields.kind.fill(ABSENT);
    fields.topicCount = 0;
    this.#at++;
    this.#space();
    if (bytes[this.#at] === CLOSE_BRACE) {
      this.#at++;
      return true;
    }
    for (;;) {
      this.#space();
      // A key with escapes might spell a known key: not worth following.
      if (bytes[this.#at] !== QUOTE || this.#string() !== TEXT) return false;
      const field = this.#field(this.#stringStart, this.#stringEnd);
      this.#space();
      if (bytes[this.#at] !== COLON) return false;
      this.#at++;
      this.#space();
      if (field < 0) {
        if (!this.#skipValue(1)) return false;
      } else {
        // A key given twice: JSON.parse keeps the last; not worth following.
        if (fields.kind[field] !== ABSENT) return false;
        const kind = field === TOPICS ? this.#topics() : this.#fieldValue(field);
        if (kind === INVALID) return false;
        fields.kind[field] = kind;
      }
      this.#space();
      const next = bytes[this.#at];
      this.#at++;
      if (next === COMMA) continue;
      return next === CLOSE_BRACE;
    }
  }

  #field(start: number, end: number): number {
    const candidates = LOG_KEYS_BY_LENGTH[end - start];
    if (candidates === undefined) return -1;
    for (const [key, field] of candidates) if (equalsAt(this.#bytes, start, end, key)) return field;
    return -1;
  }

  #fieldValue(field: number): number {
    const bytes = this.#bytes;
    const first = bytes[this.#at];
    if (first === QUOTE) {
      const kind = this.#string();
      if (kind === TEXT) {
        this.#fields.start[field] = this.#stringStart;
        this.#fields.end[field] = this.#stringEnd;
      }
      return kind;
    }
    if (first === 0x74 || first === 0x66 || first === 0x6e) return this.#literal();
    return this.#skipValue(1) ? OTHER : INVALID;
  }

  #topics(): number {
    const bytes = this.#bytes;
    const fields = this.#fields;
    if (bytes[this.#at] !== OPEN_BRACKET) return this.#skipValue(1) ? OTHER : INVALID;
    this.#at++;
    this.#space();
    if (bytes[this.#at] === CLOSE_BRACKET) {
      this.#at++;
      return TEXT_LIST;
    }
    let kind = TEXT_LIST;
    let count = 0;
    for (;;) {
      this.#space();
      if (bytes[this.#at] === QUOTE) {
        const item = this.#string();
        if (item === INVALID) return INVALID;
        if (item !== TEXT) kind = OTHER;
        if (count < KEPT_TOPICS) {
          fields.topicStart[count] = this.#stringStart;
          fields.topicEnd[count] = this.#stringEnd;
        }
      } else {
        if (!this.#skipValue(2)) return INVALID;
        kind = OTHER;
      }
      count++;
      this.#space();
      const next = bytes[this.#at];
      this.#at++;
      if (next === COMMA) continue;
      if (next !== CLOSE_BRACKET) return INVALID;
      fields.topicCount = count;
      return kind;
    }
  }
}
