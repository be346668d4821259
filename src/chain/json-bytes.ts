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
  /** The keys of the last log by place (with their closing quote), and their fields (-1: not a known one). */
  readonly keyAt: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(MAX_PREDICTED).fill(undefined);
  readonly fieldAt = new Int8Array(MAX_PREDICTED);
}

/** Keys of a log whose places are remembered. */
const MAX_PREDICTED = 16;

/**
 * Reads an eth_getLogs answer, calling `onLog` for each log in order with the same `LogFields`
 * (valid until `onLog` returns). False when the answer is not one this reader is sure of, or when
 * `onLog` returned false: the caller must then drop what it collected and parse the bytes itself.
 * True only after the whole answer, to its last byte, was read.
 */
export function readLogsAnswer(bytes: Uint8Array, onLog: (fields: LogFields) => boolean): boolean {
  return readAnswer(bytes, onLog);
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

/** ASCII text as its bytes. */
export function ascii(text: string): Uint8Array {
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
/**
 * The log key a key's length and first character can be, as `length * 128 + first`; the key's
 * other characters are still compared (no two log keys share both).
 */
const KEY_BY_SHAPE: ([Uint8Array, number] | undefined)[] = new Array<[Uint8Array, number] | undefined>(16 * 128).fill(undefined);
for (const entry of LOG_KEYS) KEY_BY_SHAPE[entry[0].length * 128 + entry[0][0]] = entry;

/**
 * Bytes that end the plain run of a string: the quote, the backslash, control characters (which
 * JSON refuses in strings) and bytes past ASCII. Everything else is 0, so the scan of a string is one
 * table lookup per byte.
 */
const STRING_STOP = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) STRING_STOP[byte] = byte === QUOTE || byte === BACKSLASH || byte < 0x20 || byte >= 0x7f ? 1 : 0;

/** Bytes that may follow a backslash in a JSON string ('u' is checked apart). */
const SIMPLE_ESCAPES = new Uint8Array(256);
for (const character of '"\\/bfnrt') SIMPLE_ESCAPES[character.charCodeAt(0)] = 1;

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(digit)] = digit;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(digit)] = digit;
}

/** The value of a hex digit's byte, -1 for any other byte (undefined past the end: compare with `>= 0`). */
export function hexValue(byte: number): number {
  return HEX_VALUE[byte];
}

/** Whether the bytes from `start` on begin with `prefix`. */
function startsWith(bytes: Uint8Array, start: number, prefix: Uint8Array): boolean {
  for (let index = 0; index < prefix.length; index++) if (bytes[start + index] !== prefix[index]) return false;
  return true;
}

function equalsAt(bytes: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let index = 0; index < key.length; index++) if (bytes[start + index] !== key[index]) return false;
  return true;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  while (isSpace(bytes[at])) at++;
  return at;
}

/**
 * The reader's state: plain functions over (bytes, position) with the results of a string scan
 * left here, the hot path of a scan kept free of objects and closures.
 */
let stringEnd = 0;
let stringKind = TEXT;
/** The answer being read, for reading four bytes at a time. */
let words: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(4));

/**
 * Whether none of four bytes stops a string's plain run (STRING_STOP), tested on all four at once:
 * no byte past ASCII, none below 0x20, none equal to the quote or the backslash. The "has a byte
 * below n" and "has a zero byte" tests are the usual bit tricks; they may say "yes" wrongly for a
 * byte above one that truly matches, never "no" wrongly, and a "yes" is settled byte by byte.
 */
function plainWord(word: number): boolean {
  const quote = word ^ 0x22222222;
  const backslash = word ^ 0x5c5c5c5c;
  return ((word | ((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) === 0;
}

/**
 * Scans the string whose first character is at `at` (after the opening quote); returns the
 * position after its closing quote, or INVALID where JSON.parse would refuse it. Sets `stringEnd`
 * (the closing quote) and `stringKind`: TEXT for printable ASCII without escapes, else OTHER. Bytes
 * past ASCII are not checked as UTF-8: the generic path decodes them leniently.
 */
function scanString(bytes: Uint8Array, at: number): number {
  let kind = TEXT;
  const view = words;
  const last = bytes.length - 4;
  for (;;) {
    // Four bytes at a time while none of them ends the plain run (see plainWord), then byte by byte.
    while (at <= last && plainWord(view.getUint32(at))) at += 4;
    while (STRING_STOP[bytes[at]] === 0) at++;
    const byte = bytes[at];
    if (byte === QUOTE) break;
    if (byte === BACKSLASH) {
      kind = OTHER;
      const escaped = bytes[at + 1];
      if (escaped === 0x75) {
        if (!(HEX_VALUE[bytes[at + 2]] >= 0 && HEX_VALUE[bytes[at + 3]] >= 0 && HEX_VALUE[bytes[at + 4]] >= 0 && HEX_VALUE[bytes[at + 5]] >= 0)) return INVALID;
        at += 6;
      } else if (SIMPLE_ESCAPES[escaped] === 1) {
        at += 2;
      } else {
        return INVALID;
      }
      continue;
    }
    // A control character, or the end of the bytes (undefined).
    if (!(byte >= 0x7f)) return INVALID;
    kind = OTHER;
    at++;
  }
  stringEnd = at;
  stringKind = kind;
  return at + 1;
}

/** `true`, `false` or `null` at `at`: the position after it, or INVALID; sets `stringKind` to its kind. */
function scanLiteral(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === 0x74 && bytes[at + 1] === 0x72 && bytes[at + 2] === 0x75 && bytes[at + 3] === 0x65) {
    stringKind = TRUE;
    return at + 4;
  }
  if (first === 0x66 && bytes[at + 1] === 0x61 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x73 && bytes[at + 4] === 0x65) {
    stringKind = FALSE;
    return at + 5;
  }
  if (first === 0x6e && bytes[at + 1] === 0x75 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x6c) {
    stringKind = NULL;
    return at + 4;
  }
  return INVALID;
}

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

/** A number by JSON's grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: the position after it, or INVALID. */
function scanNumber(bytes: Uint8Array, at: number): number {
  if (bytes[at] === MINUS) at++;
  const first = bytes[at];
  if (first === DIGIT_0) at++;
  else if (first > DIGIT_0 && first <= DIGIT_9) while (isDigit(bytes[at])) at++;
  else return INVALID;
  if (bytes[at] === DOT) {
    at++;
    if (!isDigit(bytes[at])) return INVALID;
    while (isDigit(bytes[at])) at++;
  }
  if (bytes[at] === 0x65 || bytes[at] === 0x45) {
    at++;
    if (bytes[at] === PLUS || bytes[at] === MINUS) at++;
    if (!isDigit(bytes[at])) return INVALID;
    while (isDigit(bytes[at])) at++;
  }
  return at;
}

/** Any JSON value at `at`, checked and passed over: the position after it, or INVALID. */
function skipValue(bytes: Uint8Array, at: number, depth: number): number {
  const first = bytes[at];
  if (first === QUOTE) return scanString(bytes, at + 1);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    if (depth >= MAX_DEPTH) return INVALID;
    const isObject = first === OPEN_BRACE;
    const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
    at = skipSpace(bytes, at + 1);
    if (bytes[at] === close) return at + 1;
    for (;;) {
      at = skipSpace(bytes, at);
      if (isObject) {
        if (bytes[at] !== QUOTE) return INVALID;
        at = scanString(bytes, at + 1);
        if (at === INVALID) return INVALID;
        at = skipSpace(bytes, at);
        if (bytes[at] !== COLON) return INVALID;
        at = skipSpace(bytes, at + 1);
      }
      at = skipValue(bytes, at, depth + 1);
      if (at === INVALID) return INVALID;
      at = skipSpace(bytes, at);
      const next = bytes[at];
      if (next === close) return at + 1;
      if (next !== COMMA) return INVALID;
      at++;
    }
  }
  if (first === MINUS || isDigit(first)) return scanNumber(bytes, at);
  return scanLiteral(bytes, at);
}

/**
 * One log object at `at` into `fields`: the position after it, or INVALID (also for what the reader
 * does not follow: a key with escapes, which might spell a known key, or a known key given twice,
 * of which JSON.parse keeps the last).
 */
function scanLog(bytes: Uint8Array, at: number, fields: LogFields): number {
  if (bytes[at] !== OPEN_BRACE) return INVALID;
  const kinds = fields.kind;
  for (let field = 0; field < FIELD_COUNT; field++) kinds[field] = ABSENT;
  fields.topicCount = 0;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] === CLOSE_BRACE) return at + 1;
  for (let position = 0; ; position++) {
    if (bytes[at] !== QUOTE) return INVALID;
    const keyStart = at + 1;
    let field: number;
    // A node writes its logs' keys in one order: the key at this place in the last log, compared
    // byte by byte with its closing quote, spares scanning the key and looking it up.
    const predicted = position < MAX_PREDICTED ? fields.keyAt[position] : undefined;
    if (predicted !== undefined && startsWith(bytes, keyStart, predicted)) {
      field = fields.fieldAt[position];
      at = keyStart + predicted.length;
    } else {
      at = scanString(bytes, keyStart);
      if (at === INVALID || stringKind !== TEXT) return INVALID;
      const keyEnd = stringEnd;
      const keyLength = keyEnd - keyStart;
      const candidate = keyLength > 0 && keyLength < 16 ? KEY_BY_SHAPE[keyLength * 128 + bytes[keyStart]] : undefined;
      field = candidate !== undefined && equalsAt(bytes, keyStart, keyEnd, candidate[0]) ? candidate[1] : -1;
      if (position < MAX_PREDICTED) {
        // The key and its closing quote.
        fields.keyAt[position] = bytes.slice(keyStart, keyEnd + 1);
        fields.fieldAt[position] = field;
      }
    }
    at = skipSpace(bytes, at);
    if (bytes[at] !== COLON) return INVALID;
    at = skipSpace(bytes, at + 1);
    if (field < 0) {
      at = skipValue(bytes, at, 1);
    } else if (kinds[field] !== ABSENT) {
      return INVALID;
    } else if (field === TOPICS) {
      at = scanTopics(bytes, at, fields);
    } else {
      const first = bytes[at];
      if (first === QUOTE) {
        const start = at + 1;
        at = scanString(bytes, start);
        if (at !== INVALID) {
          kinds[field] = stringKind;
          fields.start[field] = start;
          fields.end[field] = stringEnd;
        }
      } else if (first === 0x74 || first === 0x66 || first === 0x6e) {
        at = scanLiteral(bytes, at);
        kinds[field] = stringKind;
      } else {
        at = skipValue(bytes, at, 1);
        kinds[field] = OTHER;
      }
    }
    if (at === INVALID) return INVALID;
    at = skipSpace(bytes, at);
    const next = bytes[at];
    if (next === CLOSE_BRACE) return at + 1;
    if (next !== COMMA) return INVALID;
    at = skipSpace(bytes, at + 1);
  }
}

/** The topics' value at `at`: TEXT_LIST when a list of TEXT strings, else OTHER. */
function scanTopics(bytes: Uint8Array, at: number, fields: LogFields): number {
  if (bytes[at] !== OPEN_BRACKET) {
    fields.kind[TOPICS] = OTHER;
    return skipValue(bytes, at, 1);
  }
  let kind = TEXT_LIST;
  let count = 0;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== CLOSE_BRACKET) {
    for (;;) {
      if (bytes[at] === QUOTE) {
        const start = at + 1;
        at = scanString(bytes, start);
        if (at === INVALID) return INVALID;
        if (stringKind !== TEXT) kind = OTHER;
        if (count < KEPT_TOPICS) {
          fields.topicStart[count] = start;
          fields.topicEnd[count] = stringEnd;
        }
      } else {
        at = skipValue(bytes, at, 2);
        if (at === INVALID) return INVALID;
        kind = OTHER;
      }
      count++;
      at = skipSpace(bytes, at);
      const next = bytes[at];
      if (next === CLOSE_BRACKET) break;
      if (next !== COMMA) return INVALID;
      at = skipSpace(bytes, at + 1);
    }
  }
  fields.kind[TOPICS] = kind;
  fields.topicCount = count;
  return at + 1;
}

function readAnswer(bytes: Uint8Array, onLog: (fields: LogFields) => boolean): boolean {
  const fields = new LogFields();
  words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = skipSpace(bytes, 0);
  if (bytes[at] !== OPEN_BRACE) return false;
  at = skipSpace(bytes, at + 1);
  let sawResult = false;
  for (;;) {
    if (bytes[at] !== QUOTE) return false;
    const keyStart = at + 1;
    at = scanString(bytes, keyStart);
    if (at === INVALID || stringKind !== TEXT) return false;
    const keyEnd = stringEnd;
    at = skipSpace(bytes, at);
    if (bytes[at] !== COLON) return false;
    at = skipSpace(bytes, at + 1);
    if (equalsAt(bytes, keyStart, keyEnd, RESULT_KEY)) {
      // JSON.parse keeps the last of two results: not worth following.
      if (sawResult || bytes[at] !== OPEN_BRACKET) return false;
      sawResult = true;
      at = skipSpace(bytes, at + 1);
      if (bytes[at] === CLOSE_BRACKET) {
        at++;
      } else {
        for (;;) {
          at = scanLog(bytes, at, fields);
          if (at === INVALID || !onLog(fields)) return false;
          at = skipSpace(bytes, at);
          const next = bytes[at];
          if (next === CLOSE_BRACKET) break;
          if (next !== COMMA) return false;
          at = skipSpace(bytes, at + 1);
        }
        at++;
      }
    } else if (equalsAt(bytes, keyStart, keyEnd, ERROR_KEY)) {
      // The node's error answer (or an odd "error": null beside a result): the generic path decides.
      return false;
    } else {
      at = skipValue(bytes, at, 0);
      if (at === INVALID) return false;
    }
    at = skipSpace(bytes, at);
    const next = bytes[at];
    if (next === CLOSE_BRACE) break;
    if (next !== COMMA) return false;
    at = skipSpace(bytes, at + 1);
  }
  return sawResult && skipSpace(bytes, at + 1) === bytes.length;
}
