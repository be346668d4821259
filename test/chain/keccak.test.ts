import { getBytes, hexlify, keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import { keccak256Bytes } from "../../src/chain/keccak";
import { seededRandom } from "../helpers/random";

describe("keccak256Bytes", () => {
  it("equals ethers' Keccak-256 at every length around the rate's blocks, and for tens of kilobytes", () => {
    const random = seededRandom(19);
    const lengths = [...Array.from({ length: 420 }, (_, length) => length), 1_000, 26_451, 70_001];
    for (const length of lengths) {
      const data = new Uint8Array(length);
      for (let index = 0; index < length; index++) data[index] = Math.floor(random() * 256);
      expect(hexlify(keccak256Bytes(data)), `length ${length}`).toBe(keccak256(data));
    }
  });

  it("hashes the empty message and a known one as Ethereum does", () => {
    expect(hexlify(keccak256Bytes(new Uint8Array(0)))).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    // The Transfer event's topic.
    expect(hexlify(keccak256Bytes(getBytes(new TextEncoder().encode("Transfer(address,address,uint256)"))))).toBe(
      "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    );
  });
});
