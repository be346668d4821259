import { describe, expect, it } from "vitest";
import { AbiCoder, encodeBytes32String, hexlify, toUtf8Bytes } from "ethers";
import { decodeAbiString, decodeText } from "../../src/chain/erc20";

const coder = AbiCoder.defaultAbiCoder();

describe("name() and symbol() answers read without ethers", () => {
  it("reads ABI strings as ethers' AbiCoder does", () => {
    const texts = ["", "A", "Moo Corp", "x".repeat(31), "y".repeat(32), "z".repeat(33), "Ünïcödé ✓ 株式", "a".repeat(300)];
    for (const text of texts) {
      const encoded = coder.encode(["string"], [text]);
      expect(decodeAbiString(encoded)).toBe(coder.decode(["string"], encoded)[0]);
      // Some tokens return more than the string (extra words after it): both ignore them.
      const padded = encoded + "00".repeat(64);
      expect(decodeAbiString(padded)).toBe(text);
    }
    // The offset need not be 32.
    const shifted = `0x${(64).toString(16).padStart(64, "0")}${"00".repeat(32)}${(3).toString(16).padStart(64, "0")}${hexlify(toUtf8Bytes("abc")).slice(2).padEnd(64, "0")}`;
    expect(decodeAbiString(shifted)).toBe("abc");
    expect(coder.decode(["string"], shifted)[0]).toBe("abc");
  });

  it("refuses what ethers refuses: truncated data, offsets and lengths past the end, malformed UTF-8", () => {
    const good = coder.encode(["string"], ["Moo Corp"]);
    const bad = [
      good.slice(0, 2 + 64), // the offset only
      good.slice(0, 2 + 128 + 4), // the string cut short
      `0x${"f".repeat(64)}${good.slice(66)}`, // offset far past the end
      `0x${good.slice(2, 66)}${"f".repeat(64)}${good.slice(130)}`, // length far past the end
      `0x${(32).toString(16).padStart(64, "0")}${(2).toString(16).padStart(64, "0")}${"c328".padEnd(64, "0")}`, // invalid UTF-8
    ];
    for (const answer of bad) {
      expect(() => coder.decode(["string"], answer)[0] as string).toThrow();
      expect(() => decodeAbiString(answer)).toThrow();
    }
  });

  it("turns answers into clean names: ABI strings, bytes32 names, nothing for garbage", () => {
    expect(decodeText(coder.encode(["string"], ["Moo Corp"]))).toBe("Moo Corp");
    expect(decodeText(encodeBytes32String("MKR"))).toBe("MKR");
    expect(decodeText(coder.encode(["string"], ["  Bad\u001b[31mName\n  "]))).toBe("Bad[31mName");
    expect(decodeText(coder.encode(["string"], [""]))).toBeNull();
    expect(decodeText(`0x${"ff".repeat(32)}`)).toBeNull(); // bytes32 that is not UTF-8
    expect(decodeText("0x1234")).toBeNull();
    expect(decodeText("not hex")).toBeNull();
    expect(decodeText(undefined)).toBeNull();
  });
});
