import { AbiCoder, concat, getAddress } from "ethers";
import { describe, expect, it } from "vitest";
import { encodeAccountReadsArguments } from "../../src/chain/balances";
import { seededBytes, seededRandom, testSeed } from "../helpers/random";

const SEED = testSeed("account-reads.test.ts");

/**
 * AccountReads' arguments built from ethers' ABI words: target and words, each account's call input
 * (selector, then the account as a word), then the number of accounts.
 */
function byAbiWords(target: string, selector: string, words: number, accounts: string[]): string {
  const coder = AbiCoder.defaultAbiCoder();
  return concat([
    coder.encode(["address", "uint256"], [target, words]),
    ...accounts.map((account) => concat([selector, coder.encode(["address"], [account])])),
    coder.encode(["uint256"], [accounts.length]),
  ])
    .slice(2)
    .toLowerCase();
}

describe("AccountReads' arguments, packed by hand", () => {
  it("equal the ABI words of target, words, each selector and account, and the count, for addresses in any case and for no, one and 744 accounts", () => {
    const next = seededRandom(SEED);
    const address = () => `0x${seededBytes(next, 20).toString("hex")}`;
    for (const count of [0, 1, 2, 17, 744]) {
      const target = getAddress(address());
      const selector = `0x${seededBytes(next, 4).toString("hex")}`;
      const words = 1 + Math.floor(next() * 3);
      const accounts = Array.from({ length: count }, (_, index) => {
        const hex = address();
        return index % 3 === 0 ? getAddress(hex) : index % 3 === 1 ? `0x${hex.slice(2).toUpperCase()}` : hex;
      });
      const encoded = encodeAccountReadsArguments(target, selector, words, accounts);
      expect(encoded).toBe(byAbiWords(target, selector, words, accounts));
      expect(encoded.length).toBe((64 + count * 36 + 32) * 2);
      expect(encodeAccountReadsArguments(target.toLowerCase(), selector.toUpperCase().replace("0X", "0x"), words, accounts)).toBe(encoded);
    }
  });

  it("refuses what is not an address or a selector, as the ABI coder did", () => {
    const good = `0x${"ab".repeat(20)}`;
    for (const bad of ["", "0x", `0x${"g".repeat(40)}`, `0x${"a".repeat(39)}`, `0x${"a".repeat(41)}`, `${"a".repeat(42)}`]) {
      expect(() => encodeAccountReadsArguments(good, "0x70a08231", 1, [good, bad])).toThrow(/not an address/);
      expect(() => encodeAccountReadsArguments(bad, "0x70a08231", 1, [good])).toThrow(/not an address/);
    }
    expect(() => encodeAccountReadsArguments(good, "0x70a0823", 1, [good])).toThrow(/selector/);
  });
});
