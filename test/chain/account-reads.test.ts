import { AbiCoder, getAddress } from "ethers";
import { describe, expect, it } from "vitest";
import { encodeAccountReadsArguments } from "../../src/chain/balances";
import { seededBytes, seededRandom, testSeed } from "../helpers/random";

const SEED = testSeed("account-reads.test.ts");

/** What ethers' AbiCoder makes of AccountReads' constructor arguments (the encoding sto used before). */
function byAbiCoder(target: string, selector: string, words: number, accounts: string[]): string {
  return AbiCoder.defaultAbiCoder().encode(["address", "bytes4", "uint256", "address[]"], [target, selector, words, accounts]).slice(2);
}

describe("AccountReads' constructor arguments, encoded by hand", () => {
  it("equal ethers' ABI encoding for random addresses in any case, and for no, one and 744 accounts", () => {
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
      expect(encodeAccountReadsArguments(target, selector, words, accounts)).toBe(byAbiCoder(target, selector, words, accounts));
      expect(encodeAccountReadsArguments(target.toLowerCase(), selector.toUpperCase().replace("0X", "0x"), words, accounts)).toBe(
        byAbiCoder(target, selector, words, accounts),
      );
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
