import { getAddress, keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import { checksumAddress, keccak256Bytes, permuteInJavaScript } from "../../src/chain/checksum";
import { keccakModuleBytes, loadWasmKeccak } from "../../src/chain/keccak-wasm";
import { checkAddress } from "../../src/input/address";
import { seededBytes, seededRandom, testSeed } from "../helpers/random";

// Every draw below comes from this seed (logged; STO_TEST_SEED replays it); each test starts its own
// generator from it, so a replay does not depend on which tests ran before.
const SEED = testSeed("checksum.test.ts");

describe("fast EIP-55 checksum", () => {
  it("agrees with ethers on random addresses in any case", () => {
    const next = seededRandom(SEED);
    for (let i = 0; i < 5000; i++) {
      const hex = seededBytes(next, 20).toString("hex");
      const expected = getAddress(`0x${hex}`);
      expect(checksumAddress(`0x${hex}`)).toBe(expected);
      expect(checksumAddress(`0x${hex.toUpperCase()}`)).toBe(expected);
      expect(checksumAddress(expected)).toBe(expected);
    }
  });

  it("agrees with ethers on edge cases", () => {
    for (const hex of ["0".repeat(40), "f".repeat(40), "a".repeat(40), "9".repeat(40), "0123456789abcdef".repeat(3).slice(0, 40)]) {
      expect(checksumAddress(`0x${hex}`)).toBe(getAddress(`0x${hex}`));
    }
  });

  it("refuses what is not an address", () => {
    for (const text of ["", "0x", `0x${"g".repeat(40)}`, `0x${"a".repeat(39)}`, `0x${"a".repeat(41)}`, `1x${"a".repeat(40)}`]) {
      expect(() => checksumAddress(text)).toThrow(/not an address/);
    }
  });

  it("hashes any length like ethers' keccak256", () => {
    const next = seededRandom(SEED);
    // Every length around the rate's first blocks, and the calldata of batches of transfers.
    for (const length of [...Array.from({ length: 420 }, (_, length) => length), 1000, 26_451, 70_001]) {
      const bytes = seededBytes(next, length);
      expect(Buffer.from(keccak256Bytes(bytes)).toString("hex"), `length ${length}`).toBe(keccak256(bytes).slice(2));
    }
  });

  it("hashes the empty message and a known one as Ethereum does", () => {
    expect(Buffer.from(keccak256Bytes(new Uint8Array(0))).toString("hex")).toBe("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    // The Transfer event's topic.
    expect(Buffer.from(keccak256Bytes(new TextEncoder().encode("Transfer(address,address,uint256)"))).toString("hex")).toBe(
      "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    );
  });
});

describe("Keccak-f[1600] in WebAssembly", () => {
  it("permutes any state as the JavaScript permutation does", () => {
    const wasm = loadWasmKeccak();
    expect(wasm).toBeDefined();
    const next = seededRandom(SEED);
    for (let i = 0; i < 300; i++) {
      const state = i === 0 ? new Uint8Array(200) : i === 1 ? new Uint8Array(200).fill(0xff) : new Uint8Array(seededBytes(next, 200));
      const expected = Uint8Array.from(state);
      permuteInJavaScript(expected);
      wasm!.state.set(state);
      wasm!.permute();
      expect(Buffer.from(wasm!.state).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
    }
  });

  it("is a valid module of one exported function and memory", () => {
    // The compiler's library here declares no WebAssembly: the few calls used, typed locally.
    const api = (globalThis as unknown as { WebAssembly: { Module: { new (bytes: Uint8Array): object; exports(module: object): unknown } } }).WebAssembly;
    expect(api.Module.exports(new api.Module(keccakModuleBytes()))).toEqual([
      { name: "m", kind: "memory" },
      { name: "p", kind: "function" },
    ]);
  });
});

describe("checkAddress (user input) with the fast checksum", () => {
  it("accepts and refuses exactly what ethers' getAddress does", () => {
    const next = seededRandom(SEED);
    for (let i = 0; i < 3000; i++) {
      const hex = seededBytes(next, 20).toString("hex");
      const checksummed = getAddress(`0x${hex}`);
      // Random case flips: mostly wrong checksums, sometimes all one case.
      const variants = [hex, hex.toUpperCase(), checksummed.slice(2), [...hex].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join("")];
      for (const variant of variants) {
        let expected: string | undefined;
        try {
          expected = getAddress(`0x${variant}`);
        } catch {
          expected = undefined;
        }
        const checked = checkAddress(`0x${variant}`);
        if (expected === undefined) expect(checked).toEqual({ reason: "not an Ethereum address (its mixed-case checksum is wrong)" });
        else expect(checked).toEqual({ address: expected });
      }
    }
  });

  it("refuses text that is not 0x and 40 hex digits", () => {
    for (const text of ["", "0x", "0X" + "a".repeat(40), "a".repeat(40), `0x${"a".repeat(39)}`, `0x${"z".repeat(40)}`]) {
      expect(checkAddress(text)).toEqual({ reason: "not an Ethereum address" });
    }
    expect(checkAddress(`  0x${"a".repeat(40)}  `)).toEqual({ address: getAddress(`0x${"a".repeat(40)}`) });
  });
});
