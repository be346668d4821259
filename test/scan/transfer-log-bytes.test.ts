import { describe, expect, it } from "vitest";
import { TRANSFER_TOPIC } from "../../src/chain/erc20";
import { readLogsAnswer } from "../../src/chain/json-bytes";
import type { RawLog } from "../../src/chain/logs";
import { FALLBACK } from "../../src/chain/rpc";
import { decodeTransferLogs, transferLogReader, type DecodeResult } from "../../src/scan/transfer-log";

/**
 * transferLogReader reads eth_getLogs answers from their bytes (src/chain/json-bytes.ts); whatever it
 * returns must be exactly what JSON.parse and decodeTransferLogs make of the same bytes, and when it
 * is not sure it must say so (FALLBACK) rather than guess. Random answers in every layout a node may
 * send, then the same answers damaged.
 */

const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OTHER_TOKEN = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";
const ERC721_ID_TOPIC = "0x" + "0".repeat(63) + "7";
const APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14b71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925";

/** A small deterministic generator (xorshift32): failures can be replayed from the seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

type Random = () => number;
const pick = <T>(next: Random, items: readonly T[]): T => items[Math.floor(next() * items.length)];
const chance = (next: Random, probability: number): boolean => next() < probability;

function hexDigits(next: Random, count: number): string {
  let text = "";
  for (let index = 0; index < count; index++) text += "0123456789abcdef"[Math.floor(next() * 16)];
  return text;
}

/** Mixed case at random places, as some nodes and proxies send. */
function mixCase(next: Random, hex: string): string {
  if (!chance(next, 0.15)) return hex;
  return [...hex].map((character, index) => (index > 1 && chance(next, 0.5) ? character.toUpperCase() : character)).join("");
}

function quantityText(next: Random, value: number): string {
  const digits = value.toString(16);
  const padded = chance(next, 0.05) ? `00${digits}` : digits;
  return `${chance(next, 0.03) ? "0X" : "0x"}${mixCase(next, padded)}`;
}

function word(next: Random): string {
  const choice = next();
  if (choice < 0.1) return "0".repeat(64);
  if (choice < 0.2) return "f".repeat(64);
  if (choice < 0.3) return "0".repeat(63) + "1";
  if (choice < 0.6) return "0".repeat(48) + hexDigits(next, 16);
  if (choice < 0.7) return "0".repeat(51) + hexDigits(next, 13);
  if (choice < 0.8) return "0".repeat(50) + hexDigits(next, 14);
  return hexDigits(next, 64);
}

const addressWord = (address: string) => "0x" + "0".repeat(24) + address.slice(2);

function randomLog(next: Random, block: number, index: number, blockHash: string, txHash: string, holders: string[]): Record<string, unknown> {
  const layout = next();
  const from = pick(next, holders);
  const to = pick(next, holders);
  let topics: string[];
  let data: string;
  if (layout < 0.7) {
    topics = [TRANSFER_TOPIC, addressWord(from), addressWord(to)];
    data = "0x" + word(next);
  } else if (layout < 0.78) {
    topics = [TRANSFER_TOPIC];
    data = "0x" + addressWord(from).slice(2) + addressWord(to).slice(2) + word(next);
  } else if (layout < 0.84) {
    topics = [TRANSFER_TOPIC, addressWord(from), addressWord(to), ERC721_ID_TOPIC];
    data = "0x";
  } else if (layout < 0.88) {
    topics = [TRANSFER_TOPIC, addressWord(from)];
    data = "0x" + word(next);
  } else if (layout < 0.92) {
    topics = [APPROVAL_TOPIC, addressWord(from), addressWord(to)];
    data = "0x" + word(next);
  } else if (layout < 0.94) {
    topics = [];
    data = "0x";
  } else if (layout < 0.97) {
    // The right topics with data of the wrong length.
    topics = [TRANSFER_TOPIC, addressWord(from), addressWord(to)];
    data = "0x" + word(next) + (chance(next, 0.5) ? "00" : word(next));
  } else {
    topics = [TRANSFER_TOPIC, addressWord(from), addressWord(to)];
    data = (chance(next, 0.5) ? "0X" : "0x") + word(next);
  }
  const log: Record<string, unknown> = {
    address: pick(next, [TOKEN, TOKEN.toLowerCase(), TOKEN.toUpperCase().replace("0X", "0x"), TOKEN, TOKEN, OTHER_TOKEN]),
    topics: topics.map((topic) => mixCase(next, topic)),
    data: mixCase(next, data),
    blockNumber: quantityText(next, block),
    blockHash: mixCase(next, blockHash),
    transactionHash: mixCase(next, txHash),
    transactionIndex: quantityText(next, Math.floor(next() * 20)),
    logIndex: quantityText(next, index),
  };
  const removed = next();
  if (removed < 0.05) log.removed = true;
  else if (removed < 0.6) log.removed = false;
  else if (removed < 0.62) log.removed = null;
  const time = next();
  if (time < 0.4) log.blockTimestamp = quantityText(next, 1_700_000_000 + block * 12);
  else if (time < 0.42) log.blockTimestamp = null;
  else if (time < 0.43) log.blockTimestamp = "";
  if (chance(next, 0.1)) log.extra = randomValue(next, 0);
  if (chance(next, 0.05)) log["a \"quoted\" key é"] = randomValue(next, 0);
  return log;
}

function randomValue(next: Random, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0:
      return pick(next, [0, -1, 12.5, -0.25e-7, 1e21, 123456789, 2 ** 53 + 2]);
    case 1:
      return pick(next, ["", "plain", 'quote " and backslash \\', "line\nbreak\ttab", "é 株 🚀", "\u0001\u001f", "</script>", "\\u0041"]);
    case 2:
      return pick(next, [true, false, null]);
    case 3:
      return hexDigits(next, 10);
    case 4:
      return [];
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, index) => [`k${index}${pick(next, ["", "é", "\\", "\""])}`, randomValue(next, depth + 1)]));
  }
}

function shuffle<T>(next: Random, items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

const SPACES = ["", "", "", " ", "\n", "\t", "\r\n  ", "  "];

/** JSON with the keys of every object in random order and random whitespace between tokens. */
function write(next: Random, value: unknown, escapes: boolean): string {
  const space = () => pick(next, SPACES);
  if (Array.isArray(value)) {
    if (value.length === 0) return `[${space()}]`;
    return `[${value.map((item) => `${space()}${write(next, item, escapes)}${space()}`).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = shuffle(next, Object.entries(value));
    if (entries.length === 0) return `{${space()}}`;
    return `{${entries.map(([key, item]) => `${space()}${JSON.stringify(key)}${space()}:${space()}${write(next, item, escapes)}${space()}`).join(",")}}`;
  }
  if (escapes && typeof value === "string" && chance(next, 0.05)) {
    // The same string with a character written as an escape.
    return JSON.stringify(value).replace(/[0-9a-fx]/, (character) => `\\u00${character.charCodeAt(0).toString(16)}`);
  }
  return JSON.stringify(value);
}

function randomAnswer(next: Random): string {
  // Holders that share their first digits now and then: the reader's address cache places them by those.
  const holders = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
    chance(next, 0.1) ? "0x" + "0".repeat(40) : chance(next, 0.3) ? "0xabcd" + hexDigits(next, 36) : "0x" + hexDigits(next, 40),
  );
  const logs: Record<string, unknown>[] = [];
  let block = Math.floor(next() * 1_000_000);
  let index = 0;
  const count = Math.floor(next() * 12);
  let blockHash = "0x" + hexDigits(next, 64);
  let txHash = "0x" + hexDigits(next, 64);
  for (let made = 0; made < count; made++) {
    if (chance(next, 0.3)) {
      block += 1 + Math.floor(next() * 3);
      index = 0;
      blockHash = "0x" + hexDigits(next, 64);
    }
    if (chance(next, 0.4)) txHash = "0x" + hexDigits(next, 64);
    logs.push(randomLog(next, block, index, blockHash, txHash, holders));
    index += chance(next, 0.95) ? 1 : 0; // now and then the same place twice
  }
  // Now and then out of chain order: the decoder sorts and drops repeats.
  const result = chance(next, 0.05) ? shuffle(next, logs) : logs;
  const answer: Record<string, unknown> = { jsonrpc: "2.0", id: Math.floor(next() * 1000), result };
  if (chance(next, 0.05)) answer.extra = randomValue(next, 0);
  if (chance(next, 0.02)) answer.id = pick(next, ["text-id", null, -3.5]);
  // In a few answers, now and then a character of a string written as an escape (a fallback).
  return `${pick(next, SPACES)}${write(next, answer, chance(next, 0.05))}${pick(next, SPACES)}`;
}

/** What the generic path makes of an answer: the decoded logs, or "error" where it would not give any. */
function generic(text: string, address: string | undefined): DecodeResult | "error" {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "error";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "error";
  const answer = parsed as { error?: unknown; result?: unknown };
  if (answer.error || !Array.isArray(answer.result)) return "error";
  try {
    return decodeTransferLogs(answer.result as RawLog[], address);
  } catch {
    return "error";
  }
}

/** The byte reader against the generic path on one answer: equal, or FALLBACK. */
function compare(text: string, address: string | undefined, reader = transferLogReader(address)): "read" | "fallback" {
  const read = reader.fromBytes(Buffer.from(text, "utf8"));
  if (read === FALLBACK) return "fallback";
  const expected = generic(text, address);
  expect(expected, text).not.toBe("error");
  expect(read, text).toStrictEqual(expected);
  return "read";
}

describe("transferLogReader against JSON.parse and decodeTransferLogs", () => {
  it("reads 10,000 random answers as the generic path does, and falls back only where it must", () => {
    const next = random(20261203);
    let read = 0;
    let events = 0;
    // One reader for many answers, as in a scan: it keeps the addresses it made (a cache that
    // must never give another address's string).
    const readers = { token: transferLogReader(TOKEN), any: transferLogReader(undefined) };
    for (let run = 0; run < 10_000; run++) {
      const text = randomAnswer(next);
      const address = run % 10 === 9 ? undefined : TOKEN;
      if (compare(text, address, address === undefined ? readers.any : readers.token) === "read") {
        read++;
        events += (transferLogReader(address).fromBytes(Buffer.from(text)) as DecodeResult).events.length;
      }
    }
    // The generator writes an escape into a string now and then (a fallback); most answers are read.
    expect(read).toBeGreaterThan(7_000);
    expect(events).toBeGreaterThan(20_000);
  });

  it("gives the same answer as the generic path, or FALLBACK, for damaged answers", () => {
    const next = random(7);
    const damages: ((text: string) => string)[] = [
      (text) => text.slice(0, Math.floor(next() * text.length)),
      (text) => {
        const at = Math.floor(next() * text.length);
        return text.slice(0, at) + pick(next, ['"', ",", "}", "]", "{", "[", ":", "\\", "\u0001", "x", "0", "-", " ", "é", "\u00a0", "\ufeff"]) + text.slice(at);
      },
      (text) => {
        const at = Math.floor(next() * text.length);
        return text.slice(0, at) + text.slice(at + 1);
      },
      (text) => text + pick(next, ["x", "{}", ",", " 1", "\u0000"]),
      (text) => "\ufeff" + text,
    ];
    let fallbacks = 0;
    for (let run = 0; run < 10_000; run++) {
      const damaged = pick(next, damages)(randomAnswer(next));
      if (compare(damaged, TOKEN) === "fallback") fallbacks++;
    }
    expect(fallbacks).toBeGreaterThan(3_000);
  });

  const log = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      address: TOKEN,
      topics: [TRANSFER_TOPIC, addressWord("0x" + "1".repeat(40)), addressWord("0x" + "2".repeat(40))],
      data: "0x" + "f".repeat(64),
      blockNumber: "0x10",
      blockHash: "0x" + "a".repeat(64),
      transactionHash: "0x" + "b".repeat(64),
      logIndex: "0x0",
      ...fields,
    });
  const answer = (logs: string, before = "", after = "") => `{${before}"jsonrpc":"2.0","id":1,"result":[${logs}]${after}}`;

  it("reads a plain answer: edge values, and a time where the node gives one", () => {
    const text = answer(`${log()},${log({ logIndex: "0x1", data: "0x" + "0".repeat(64), blockTimestamp: "0x65" })}`);
    const read = transferLogReader(TOKEN).fromBytes(Buffer.from(text));
    expect(read).not.toBe(FALLBACK);
    const { events } = read as DecodeResult;
    expect(events.map((event) => event.value)).toEqual([2n ** 256n - 1n, 0n]);
    expect(events.map((event) => event.blockTimestamp)).toEqual([undefined, 0x65]);
    expect(events[0].from).toBe("0x" + "1".repeat(40));
    expect(compare(text, TOKEN)).toBe("read");
  });

  it.each([
    ["an error answer", `{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results"}}`],
    ["an error beside a result", answer(log(), "", `,"error":null`)],
    ["two results", answer(log(), "", `,"result":[]`)],
    ["no result", `{"jsonrpc":"2.0","id":1}`],
    ["a result that is not a list", `{"jsonrpc":"2.0","id":1,"result":{}}`],
    ["a batch answer", `[${answer(log())}]`],
    ["an escaped key", answer(log()).replace('"result"', '"resul\\u0074"')],
    ["an escaped key in a log", answer(log().replace('"data"', '"d\\u0061ta"'))],
    ["a key twice in a log", answer(log().replace("{", `{"blockNumber":"0x1",`))],
    ["an escaped hex string", answer(log().replace('"0x10"', '"0x1\\u0030"'))],
    ["a block number past 2^52", answer(log({ blockNumber: "0x" + "1".repeat(14) }))],
    ["a block number as a number", answer(log({ blockNumber: 16 }))],
    ["removed as a number", answer(log({ removed: 1 }))],
    ["a missing block hash", answer(log({ blockHash: undefined }))],
    ["a value that is not hex", answer(log({ data: "0x" + "g".repeat(64) }))],
    ["a topic of another length", answer(log({ topics: [TRANSFER_TOPIC, "0x" + "1".repeat(64), "0x12"] }))],
    ["a topic that is not text", answer(log({ topics: [TRANSFER_TOPIC, 1, 2] }))],
    ["a time that is not hex", answer(log({ blockTimestamp: "soon" }))],
    ["trailing text", answer(log()) + "x"],
    ["a leading zero", answer(log(), `"n":01,`)],
    ["deep nesting", answer(log(), `"deep":${"[".repeat(100)}${"]".repeat(100)},`)],
    ["a control character in a string", answer(log(), `"n":"a\tb",`)],
  ])("falls back on %s", (_what, text) => {
    expect(transferLogReader(TOKEN).fromBytes(Buffer.from(text))).toBe(FALLBACK);
    // And the generic path, where it gives an answer, is the one used.
    const expected = generic(text, TOKEN);
    if (expected !== "error") expect(expected.events.length + expected.skipped + expected.nonFungible).toBeGreaterThanOrEqual(0);
  });

  it("reads nesting it follows and skips another contract's logs", () => {
    const text = answer(`${log({ address: OTHER_TOKEN })},${log({ logIndex: "0x2" })}`, `"deep":${"[".repeat(30)}{"a":[1,{"b":null}]}${"]".repeat(30)},`);
    const read = transferLogReader(TOKEN).fromBytes(Buffer.from(text)) as DecodeResult;
    expect(read).not.toBe(FALLBACK);
    expect(read.events.map((event) => event.logIndex)).toEqual([2]);
    expect(compare(text, TOKEN)).toBe("read");
  });

  it("readLogsAnswer takes a string with any one byte at any place exactly when JSON.parse does", () => {
    // The string scan looks at four bytes at once where it can: every byte at every place of the
    // first words, and the string's end at every place.
    for (let length = 1; length <= 10; length++) {
      for (let place = 0; place < length; place++) {
        for (let byte = 0; byte < 256; byte++) {
          const value = Buffer.alloc(length, 0x61);
          value[place] = byte;
          const text = Buffer.concat([Buffer.from('{"result":[{"data":"'), value, Buffer.from('"}]}')]);
          let parses = true;
          try {
            JSON.parse(text.toString("utf8"));
          } catch {
            parses = false;
          }
          // A lone backslash escaping the closing quote, or a control character: refused by both.
          expect(readLogsAnswer(text, () => true), `${length} ${place} ${byte}`).toBe(parses);
        }
      }
    }
  });

  it("readLogsAnswer refuses what JSON.parse refuses", () => {
    // A log that is not an object is JSON, but no log.
    expect(readLogsAnswer(Buffer.from('{"result":[1]}'), () => true)).toBe(false);
    for (const text of ['{"result":[]', '{"result":[]}}', '{"result":[],}', '{"result":[{},]}', '{"result":[{"a":tru}]}', '{"result":[{"a":-}]}', '{"result":[{"a":1.}]}', '{"result":[{"a":1e}]}', '{"result":[{"a":"\\x"}]}', '{"result":[{"a" 1}]}']) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(readLogsAnswer(Buffer.from(text), () => true), text).toBe(false);
    }
    expect(readLogsAnswer(Buffer.from(' {"result" : [ { } , {"a":[-0.5e+3,"\\u00e9\\n",true,false,null,{}]} ] } '), () => true)).toBe(true);
  });
});
