import { TRANSFER_TOPIC } from "../chain/erc20";
import type { LogReader, RawLog } from "../chain/logs";
import { FALLBACK } from "../chain/rpc";
import {
  ABSENT,
  ADDRESS,
  ascii,
  BLOCK_HASH,
  BLOCK_NUMBER,
  BLOCK_TIMESTAMP,
  DATA,
  FALSE,
  hexValue,
  LOG_INDEX,
  NULL,
  readLogsAnswer,
  REMOVED,
  TEXT,
  TEXT_LIST,
  TOPICS,
  TRANSACTION_HASH,
  TRUE,
  type LogFields,
} from "../chain/json-bytes";

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface TransferEvent {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  /** Lowercase hex; the zero address for a mint. */
  from: string;
  /** Lowercase hex; the zero address for a burn. */
  to: string;
  value: bigint;
  /** Unix seconds when the node told us. */
  blockTimestamp?: number;
}

export interface DecodeResult {
  events: TransferEvent[];
  /** Logs with the Transfer topic that are not ERC-20 transfers (e.g. malformed data). */
  skipped: number;
  /** Logs shaped like ERC-721 transfers (token id indexed): the contract is not an ERC-20. */
  nonFungible: number;
}

/**
 * Decodes ERC-20 Transfer logs by slicing their hex: the hot path of a scan, so no ABI lookups and no
 * address checksumming (addresses stay lowercase). Accepts the standard layout (from and to indexed,
 * value in data) and the one of early tokens that indexed nothing (from, to, value all in data).
 */
export function decodeTransferLogs(logs: RawLog[], address?: string): DecodeResult {
  const events: TransferEvent[] = [];
  let skipped = 0;
  let nonFungible = 0;
  // A node that ignored the address filter must not mix another token's transfers in.
  const contract = address?.toLowerCase();
  for (const log of logs) {
    if (log.removed || (contract !== undefined && log.address.toLowerCase() !== contract)) continue;
    const topics = log.topics;
    if (topics.length === 0 || topics[0].toLowerCase() !== TRANSFER_TOPIC) {
      skipped++;
      continue;
    }
    const data = log.data;
    let from: string;
    let to: string;
    let value: bigint;
    if (topics.length === 3 && data.length === 66) {
      from = `0x${topics[1].slice(26)}`.toLowerCase();
      to = `0x${topics[2].slice(26)}`.toLowerCase();
      value = BigInt(data);
    } else if (topics.length === 1 && data.length === 2 + 3 * 64) {
      from = `0x${data.slice(26, 66)}`.toLowerCase();
      to = `0x${data.slice(90, 130)}`.toLowerCase();
      value = BigInt(`0x${data.slice(130)}`);
    } else {
      if (topics.length === 4) nonFungible++;
      else skipped++;
      continue;
    }
    events.push({
      blockNumber: parseInt(log.blockNumber, 16),
      blockHash: log.blockHash.toLowerCase(),
      logIndex: parseInt(log.logIndex, 16),
      txHash: log.transactionHash.toLowerCase(),
      from,
      to,
      value,
      blockTimestamp: log.blockTimestamp ? parseInt(log.blockTimestamp, 16) : undefined,
    });
  }
  return inChainOrder(events, skipped, nonFungible);
}

/** Nodes return logs in chain order; a node that does not would corrupt running balances. */
function inChainOrder(events: TransferEvent[], skipped: number, nonFungible: number): DecodeResult {
  for (let index = 1; index < events.length; index++) {
    const previous = events[index - 1];
    const current = events[index];
    if (
      current.blockNumber < previous.blockNumber ||
      (current.blockNumber === previous.blockNumber && current.logIndex <= previous.logIndex)
    ) {
      events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
      const unique = events.filter(
        (event, position) =>
          position === 0 ||
          event.blockNumber !== events[position - 1].blockNumber ||
          event.logIndex !== events[position - 1].logIndex,
      );
      return { events: unique, skipped, nonFungible };
    }
  }
  return { events, skipped, nonFungible };
}

/**
 * Decodes the Transfer logs of an eth_getLogs answer straight from its bytes (src/chain/json-bytes.ts)
 * into what `decodeTransferLogs` makes of the parsed answer, without the strings JSON.parse builds
 * for every field. Whatever it is not certain to read as `decodeTransferLogs` does — a field of an
 * unexpected type, missing or escaped, a number past 2^52, a value that is not hex — sends the
 * whole answer to JSON.parse and `decodeTransferLogs` (FALLBACK).
 */
export function transferLogReader(address?: string): LogReader<DecodeResult> {
  const lowered = address?.toLowerCase();
  const contract = lowered === undefined ? undefined : expected(lowered);
  // Compared byte by byte with printable ASCII only; anything else is left to decodeTransferLogs.
  const readable = lowered === undefined || /^[\x20-\x7e]*$/.test(lowered);
  const addresses = new AddressCache();
  return {
    fromBytes: (bytes) => (readable ? readTransferLogs(bytes, contract, addresses) : FALLBACK),
    fromLogs: (logs) => decodeTransferLogs(logs, address),
  };
}

const TRANSFER_TOPIC_BYTES = ascii(TRANSFER_TOPIC);
const TRANSFER_TOPIC_VIEW = new DataView(TRANSFER_TOPIC_BYTES.buffer);

/** Lowercase ASCII text to find in answers, as bytes and as a view for comparing four at a time. */
interface Expected {
  bytes: Uint8Array;
  view: DataView;
}

function expected(text: string): Expected {
  const bytes = ascii(text);
  return { bytes, view: new DataView(bytes.buffer) };
}

/**
 * Whether `length` bytes at `start` of one view equal those at `other` of another, four at a time
 * (byte loops cost about 2 ns a byte here; a 66-character hash is compared in 17 steps).
 */
function sameWords(view: DataView, start: number, otherView: DataView, other: number, length: number): boolean {
  let index = 0;
  for (; index + 4 <= length; index += 4) if (view.getUint32(start + index) !== otherView.getUint32(other + index)) return false;
  for (; index < length; index++) if (view.getUint8(start + index) !== otherView.getUint8(other + index)) return false;
  return true;
}

/** Not a number a quantity field can hold: read by the generic path. */
const UNSURE = -1;

function readTransferLogs(bytes: Buffer, contract: Expected | undefined, addresses: AddressCache): DecodeResult | typeof FALLBACK {
  const events: TransferEvent[] = [];
  let skipped = 0;
  let nonFungible = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextMaker(bytes, view);
  const read = readLogsAnswer(bytes, (fields: LogFields): boolean => {
    const kind = fields.kind;
    const removed = kind[REMOVED];
    if (removed === TRUE) return true;
    if (removed !== ABSENT && removed !== FALSE && removed !== NULL) return false;
    if (contract !== undefined) {
      if (kind[ADDRESS] !== TEXT) return false;
      const start = fields.start[ADDRESS];
      const end = fields.end[ADDRESS];
      if (!(end - start === contract.bytes.length && sameWords(view, start, contract.view, 0, end - start)) && !equalsLowercase(bytes, start, end, contract.bytes)) return true;
    }
    if (kind[TOPICS] !== TEXT_LIST) return false;
    const topics = fields.topicCount;
    const topicStart = fields.topicStart[0];
    const topicEnd = fields.topicEnd[0];
    if (
      topics === 0 ||
      (!(topicEnd - topicStart === 66 && sameWords(view, topicStart, TRANSFER_TOPIC_VIEW, 0, 66)) && !equalsLowercase(bytes, topicStart, topicEnd, TRANSFER_TOPIC_BYTES))
    ) {
      skipped++;
      return true;
    }
    if (kind[DATA] !== TEXT) return false;
    const data = fields.start[DATA];
    const dataLength = fields.end[DATA] - data;
    let from: string | undefined;
    let to: string | undefined;
    let value: bigint | undefined;
    if (topics === 3 && dataLength === 66) {
      // decodeTransferLogs takes the characters after the 26th of a topic of any length: only the usual 66 are read here.
      if (fields.topicEnd[1] - fields.topicStart[1] !== 66 || fields.topicEnd[2] - fields.topicStart[2] !== 66) return false;
      // BigInt(data) takes "0x" or "0X".
      if (bytes[data] !== 0x30 || (bytes[data + 1] !== 0x78 && bytes[data + 1] !== 0x58)) return false;
      from = addresses.read(bytes, view, fields.topicStart[1] + 26);
      to = addresses.read(bytes, view, fields.topicStart[2] + 26);
      value = readValue(bytes, view, data + 2);
    } else if (topics === 1 && dataLength === 2 + 3 * 64) {
      from = addresses.read(bytes, view, data + 26);
      to = addresses.read(bytes, view, data + 90);
      value = readValue(bytes, view, data + 130);
    } else {
      if (topics === 4) nonFungible++;
      else skipped++;
      return true;
    }
    if (from === undefined || to === undefined || value === undefined) return false;
    if (kind[BLOCK_NUMBER] !== TEXT || kind[LOG_INDEX] !== TEXT || kind[BLOCK_HASH] !== TEXT || kind[TRANSACTION_HASH] !== TEXT) return false;
    const blockNumber = quantity(bytes, fields.start[BLOCK_NUMBER], fields.end[BLOCK_NUMBER]);
    const logIndex = quantity(bytes, fields.start[LOG_INDEX], fields.end[LOG_INDEX]);
    if (blockNumber === UNSURE || logIndex === UNSURE) return false;
    let blockTimestamp: number | undefined;
    const time = kind[BLOCK_TIMESTAMP];
    if (time === TEXT) {
      // decodeTransferLogs: `log.blockTimestamp ? parseInt(…) : undefined`, so "" is no time.
      if (fields.end[BLOCK_TIMESTAMP] > fields.start[BLOCK_TIMESTAMP]) {
        blockTimestamp = quantity(bytes, fields.start[BLOCK_TIMESTAMP], fields.end[BLOCK_TIMESTAMP]);
        if (blockTimestamp === UNSURE) return false;
      }
    } else if (time !== ABSENT && time !== NULL && time !== FALSE) {
      return false;
    }
    events.push({
      blockNumber,
      blockHash: text.lowercase(BLOCK, fields.start[BLOCK_HASH], fields.end[BLOCK_HASH]),
      logIndex,
      txHash: text.lowercase(TRANSACTION, fields.start[TRANSACTION_HASH], fields.end[TRANSACTION_HASH]),
      from,
      to,
      value,
      blockTimestamp,
    });
    return true;
  });
  return read ? inChainOrder(events, skipped, nonFungible) : FALLBACK;
}

/** Whether the ASCII characters at `start`-`end` lowercased are `expected` (lowercase ASCII). */
function equalsLowercase(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  // Nodes send lowercase: the plain comparison first, the lowercasing one from the first difference.
  let index = 0;
  while (index < expected.length && bytes[start + index] === expected[index]) index++;
  for (; index < expected.length; index++) {
    const byte = bytes[start + index];
    if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== expected[index]) return false;
  }
  return true;
}

/**
 * `parseInt(text, 16)` of "0x" and 1 to 13 hex digits (at most 2^52, exact); UNSURE for anything
 * else, which parseInt might read otherwise (leading spaces, a sign, trailing garbage, no digits).
 */
function quantity(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 3 || length > 15 || bytes[start] !== 0x30 || (bytes[start + 1] !== 0x78 && bytes[start + 1] !== 0x58)) return UNSURE;
  let value = 0;
  for (let at = start + 2; at < end; at++) {
    const digit = hexValue(bytes[at]);
    if (!(digit >= 0)) return UNSURE;
    value = value * 16 + digit;
  }
  return value;
}

/** The hash strings an event keeps, each remembered with its bytes' place (see TextMaker). */
const BLOCK = 0;
const TRANSACTION = 1;

/**
 * Makes the lowercase hash strings of events from an answer's bytes. Logs come in runs of the same
 * block and transaction: a string whose bytes equal those of the last one made in its slot is that
 * string again, so a block's 1,000 transfers share one hash string instead of making 1,000.
 */
class TextMaker {
  readonly #bytes: Buffer;
  readonly #lastStart = new Int32Array(2).fill(-1);
  readonly #lastLength = new Int32Array(2);
  readonly #last: string[] = ["", ""];
  readonly #view: DataView;

  /** `view` covers the same bytes. */
  constructor(bytes: Buffer, view: DataView) {
    this.#bytes = bytes;
    this.#view = view;
  }

  /** The text at `start`-`end` (printable ASCII, see json-bytes' TEXT) lowercased, as `toLowerCase` does. */
  lowercase(slot: number, start: number, end: number): string {
    const length = end - start;
    if (this.#same(slot, start, length)) return this.#last[slot];
    const bytes = this.#bytes;
    let upper = false;
    for (let at = start; at < end; at++) {
      const byte = bytes[at];
      if (byte >= 0x41 && byte <= 0x5a) {
        upper = true;
        break;
      }
    }
    let made: string;
    if (!upper) {
      made = bytes.toString("latin1", start, end);
    } else {
      const copy = Buffer.from(bytes.subarray(start, end));
      for (let index = 0; index < length; index++) if (copy[index] >= 0x41 && copy[index] <= 0x5a) copy[index] += 0x20;
      made = copy.toString("latin1");
    }
    this.#lastStart[slot] = start;
    this.#lastLength[slot] = length;
    this.#last[slot] = made;
    return made;
  }

  #same(slot: number, start: number, length: number): boolean {
    const last = this.#lastStart[slot];
    if (last < 0 || this.#lastLength[slot] !== length) return false;
    return sameWords(this.#view, last, this.#view, start, length);
  }
}

/** Slots of the address cache (a power of two): a token's active holders, within reason. */
const ADDRESS_SLOTS = 1 << 15;

/**
 * The address strings of a scan, one string per address: a holder's thousand transfers share its
 * string (fewer strings for the garbage collector to copy, and the store's maps hash each once).
 * Direct-mapped by the address's first hex digits; a slot holds the last address that fell in it,
 * and a hit is confirmed character by character.
 */
class AddressCache {
  readonly #strings: (string | undefined)[] = new Array<string | undefined>(ADDRESS_SLOTS).fill(undefined);
  /** Each slot's 40 lowercase digits, compared with an answer's bytes without touching the string. */
  readonly #digits = new Uint8Array(ADDRESS_SLOTS * 40);
  readonly #digitWords = new DataView(this.#digits.buffer);
  readonly #scratch = Buffer.alloc(42);

  /** "0x" and the 40 hex digits at `start`, lowercase; undefined when they are not all hex digits. */
  read(bytes: Uint8Array, view: DataView, start: number): string | undefined {
    // The first four digits (16 bits) place it; any other bytes only make a miss, checked below.
    const slot = ((hexValue(bytes[start]) << 12) | (hexValue(bytes[start + 1]) << 8) | (hexValue(bytes[start + 2]) << 4) | hexValue(bytes[start + 3])) & (ADDRESS_SLOTS - 1);
    const digits = this.#digits;
    const base = slot * 40;
    let index = sameWords(view, start, this.#digitWords, base, 40) ? 40 : 0;
    if (index < 40) {
      // Not the cached one as it stands: uppercase digits, another address, or no digits at all.
      for (; index < 40; index++) {
        const byte = bytes[start + index];
        if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== digits[base + index]) break;
      }
    }
    // Equal to lowercase hex digits (and a slot's digits are only ever those): the bytes were hex digits.
    const cached = this.#strings[slot];
    if (index === 40 && cached !== undefined) return cached;
    const scratch = this.#scratch;
    scratch[0] = 0x30;
    scratch[1] = 0x78;
    for (index = 0; index < 40; index++) {
      const byte = bytes[start + index];
      if (!(hexValue(byte) >= 0)) return undefined;
      const digit = byte <= 0x46 && byte >= 0x41 ? byte + 0x20 : byte;
      scratch[2 + index] = digit;
      digits[base + index] = digit;
    }
    const made = scratch.toString("latin1", 0, 42);
    this.#strings[slot] = made;
    return made;
  }
}

/** Eight bytes, to make a BigInt of 64 bits from two 32-bit halves without text. */
const WORDS = new DataView(new ArrayBuffer(8));

/** The 64 hex digits at `start` as a number; undefined when they are not all hex digits. */
function readValue(bytes: Uint8Array, view: DataView, start: number): bigint | undefined {
  // Leading zeros four digits at a time: most values have fewer than 32 digits.
  let first = 0;
  while (first < 64 && view.getUint32(start + first) === 0x30303030) first += 4;
  // Eight 32-bit words, most significant first; `top` is the first that is not zero.
  const words = VALUE_WORDS;
  const top = first >> 3;
  for (let word = 0; word < top; word++) words[word] = 0;
  for (let word = top; word < 8; word++) {
    let value = 0;
    const at = start + word * 8;
    for (let digit = 0; digit < 8; digit++) {
      const nibble = hexValue(bytes[at + digit]);
      if (!(nibble >= 0)) return undefined;
      value = value * 16 + nibble;
    }
    words[word] = value;
  }
  const low = pair(words[6], words[7]);
  if (top >= 6) return low;
  const middle = pair(words[4], words[5]);
  if (top >= 4) return (middle << 64n) | low;
  return (pair(words[0], words[1]) << 192n) | (pair(words[2], words[3]) << 128n) | (middle << 64n) | low;
}

const VALUE_WORDS = new Float64Array(8);

function pair(high: number, low: number): bigint {
  WORDS.setUint32(0, high);
  WORDS.setUint32(4, low);
  return WORDS.getBigUint64(0);
}
