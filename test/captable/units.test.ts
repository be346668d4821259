import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exactAmount, fixedPoint, largestRemainderPercentages, roundedAmount } from "../../src/captable/amounts";
import { sortEntries, type CapTableEntry } from "../../src/captable/captable";
import { parseAtDate } from "../../src/input/dates";
import { readIdentityFile } from "../../src/captable/identity-file";
import { seededRandom } from "../helpers/random";

describe("percentages", () => {
  it("gives every holder 0 when nothing is held, and nothing for no holder", () => {
    expect(largestRemainderPercentages([0n, 0n, 0n], 2)).toEqual([0n, 0n, 0n]);
    expect(largestRemainderPercentages([], 2)).toEqual([]);
  });

  it("sum to exactly 100 at the accuracy and stay within one unit of the exact share", () => {
    const next = seededRandom(5);
    for (let round = 0; round < 200; round++) {
      const accuracy = round % 4;
      const balances = Array.from({ length: 1 + Math.floor(next() * 50) }, () => BigInt(Math.floor(next() * 1e9)) * 10n ** BigInt(Math.floor(next() * 12)));
      const total = balances.reduce((sum, balance) => sum + balance, 0n);
      const shares = largestRemainderPercentages(balances, accuracy);
      const whole = 100n * 10n ** BigInt(accuracy);
      expect(shares.reduce((sum, share) => sum + share, 0n)).toBe(total === 0n ? 0n : whole);
      balances.forEach((balance, index) => {
        if (total === 0n) return;
        const exactTimesTotal = balance * whole;
        const difference = shares[index] * total - exactTimesTotal;
        expect(difference < 0n ? -difference : difference).toBeLessThan(total);
      });
    }
  });

  // Constructed so that each rule of the order decides a unit that another order would give elsewhere.
  it("gives the missing units to the largest remainders, even of smaller balances", () => {
    // 71.43 and 28.57: remainder .57 beats .43 although its balance is smaller and it comes second.
    expect(largestRemainderPercentages([5n, 2n], 0)).toEqual([71n, 29n]);
    // 33.33 and 66.67: the larger remainder comes second in the list.
    expect(largestRemainderPercentages([1n, 2n], 0)).toEqual([33n, 67n]);
  });

  it("breaks equal remainders by the larger balance first, whatever its place in the list", () => {
    // 12.5, 37.5, 50: one unit missing, remainders .5 and .5 tie; the balance 3 (second) gets it.
    expect(largestRemainderPercentages([1n, 3n, 4n], 0)).toEqual([12n, 38n, 50n]);
    expect(largestRemainderPercentages([3n, 1n, 4n], 0)).toEqual([38n, 12n, 50n]);
  });

  it("breaks equal remainders of equal balances by list order", () => {
    // 62.5 and three times 12.5: two units missing, all four remainders tie; the larger balance
    // takes one, then the first of the equal balances.
    expect(largestRemainderPercentages([5n, 1n, 1n, 1n], 0)).toEqual([63n, 13n, 12n, 12n]);
    expect(largestRemainderPercentages([1n, 1n, 1n, 5n], 0)).toEqual([13n, 12n, 12n, 63n]);
  });

  it("gives three equal holders 33.34, 33.33, 33.33", () => {
    expect(largestRemainderPercentages([1n, 1n, 1n], 2)).toEqual([3334n, 3333n, 3333n]);
    expect(largestRemainderPercentages([2n, 1n], 0)).toEqual([67n, 33n]);
    expect(largestRemainderPercentages([], 2)).toEqual([]);
  });
});

describe("amounts", () => {
  it("formats base units exactly and rounds half away from zero", () => {
    expect(fixedPoint(12345n, 2)).toBe("123.45");
    expect(fixedPoint(5n, 3)).toBe("0.005");
    expect(fixedPoint(-5n, 3)).toBe("-0.005");
    expect(exactAmount(1_500_000_000_000_000_000n, 18)).toBe("1.5");
    expect(exactAmount(100n * 10n ** 18n, 18)).toBe("100");
    expect(exactAmount(7n, 0)).toBe("7");
    expect(roundedAmount(1_005_000_000_000_000_000n, 18, 2)).toBe("1.01");
    expect(roundedAmount(1_004_999_999_999_999_999n, 18, 2)).toBe("1.00");
    expect(roundedAmount(-1_005_000_000_000_000_000n, 18, 2)).toBe("-1.01");
    expect(roundedAmount(12n, 0, 2)).toBe("12.00");
    expect(roundedAmount(2n ** 256n - 1n, 18, 2)).toBe("115792089237316195423570985008687907853269984665640564039457.58");
  });

  // Each case below failed a mutant of amounts.ts that the cases above let through (npm run test:mutation -- amounts).
  it("shows zero without a sign, keeps an integer's zeros and pads to an accuracy beyond the decimals", () => {
    expect(fixedPoint(0n, 2)).toBe("0.00");
    expect(exactAmount(0n, 18)).toBe("0");
    expect(roundedAmount(0n, 18, 2)).toBe("0.00");
    expect(exactAmount(100n, 0)).toBe("100");
    expect(exactAmount(1_000n, 0)).toBe("1000");
    expect(roundedAmount(150n, 2, 4)).toBe("1.5000");
    expect(roundedAmount(-7n, 1, 3)).toBe("-0.700");
  });
});

describe("--at-date", () => {
  it("reads a date as the end of that day in UTC and honours zones", () => {
    expect(parseAtDate("2024-12-31", "--at-date")).toBe(Date.UTC(2024, 11, 31, 23, 59, 59) / 1000);
    expect(parseAtDate("2024-12-31T18:00:00Z", "--at-date")).toBe(Date.UTC(2024, 11, 31, 18) / 1000);
    expect(parseAtDate("2024-12-31T18:00", "--at-date")).toBe(Date.UTC(2024, 11, 31, 18) / 1000);
    expect(parseAtDate("2024-12-31T18:00:00+02:00", "--at-date")).toBe(Date.UTC(2024, 11, 31, 16) / 1000);
    expect(parseAtDate("2024-12-31 18:00:00.250-0130", "--at-date")).toBe(Date.UTC(2024, 11, 31, 19, 30) / 1000);
  });

  it("refuses what is not a calendar date", () => {
    for (const bad of ["yesterday", "2024-02-30", "2024-13-01", "31.12.2024", "2024-12-31T25:00", "1700000000"]) {
      expect(() => parseAtDate(bad, "--at-date")).toThrow(/--at-date/);
    }
  });
});

describe("sorting", () => {
  const entry = (address: string, balance: bigint, name: string | null, block: number): CapTableEntry => ({
    address,
    balance,
    name,
    lastTransferBlock: block,
    lastTransferTime: null,
    corrected: false,
    percentUnits: 0n,
  });
  const entries = () => [entry("0xcc", 5n, "bob", 3), entry("0xaa", 5n, null, 1), entry("0xbb", 9n, "Alice", 2)];

  it("orders by each field both ways, ties by address, holders without a name last", () => {
    const order = (by: "balance" | "name" | "updated" | "address", direction: "asc" | "desc") => {
      const list = entries();
      sortEntries(list, by, direction);
      return list.map((item) => item.address);
    };
    expect(order("balance", "desc")).toEqual(["0xbb", "0xaa", "0xcc"]);
    expect(order("balance", "asc")).toEqual(["0xaa", "0xcc", "0xbb"]);
    expect(order("name", "asc")).toEqual(["0xbb", "0xcc", "0xaa"]);
    expect(order("name", "desc")).toEqual(["0xcc", "0xbb", "0xaa"]);
    expect(order("updated", "desc")).toEqual(["0xcc", "0xbb", "0xaa"]);
    expect(order("address", "asc")).toEqual(["0xaa", "0xbb", "0xcc"]);
    expect(order("address", "desc")).toEqual(["0xcc", "0xbb", "0xaa"]);
  });
});

describe("identity file", () => {
  // Made in beforeAll, not while collecting: `vitest list` collects without running the hooks.
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-ids-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, text);
    return target;
  };

  it("reads name,address with extra columns and fields, any column order and case, BOM and blank lines", () => {
    const ids = readIdentityFile(
      file(
        "ok.csv",
        "\uFEFFAddress,Email,Name\n0x70997970c51812dc3a010c7d01b50e0d17dc79c8,a@example.com,Alice Example\n\n0x3C44CDDDB6A900FA2B585DD299E03D12FA4293BC,b@example.com,\"Bob, Jr.\",extra\n",
      ),
    );
    expect(ids.get("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")?.name).toBe("Alice Example");
    expect(ids.get("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc")?.name).toBe("Bob, Jr.");
    // The original tool's own example: rows with one field more than the header.
    const original = readIdentityFile(file("original.csv", "name,address\nCrypto Mikko,0x0bdcc26C4B8077374ba9DB82164B77d6885b92a6,300\n"));
    expect(original.get("0x0bdcc26c4b8077374ba9db82164b77d6885b92a6")?.name).toBe("Crypto Mikko");
  });

  it.each([
    ["no-address.csv", "name,wallet\nA,0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n", /no-address\.csv row 1: no "address" column/],
    ["bad-address.csv", "name,address\nA,0x70997970c51812dc3a010c7d01b50e0d17dc79c8\nB,0x1234\n", /bad-address\.csv row 3, column address: "0x1234" is not an Ethereum address/],
    ["checksum.csv", "name,address\nA,0x70997970C51812dc3A010C7d01b50e0d17dc79c9\n", /checksum\.csv row 2, column address: .* wrong checksum/],
    ["empty-name.csv", "name,address\n,0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n", /empty-name\.csv row 2, column name: empty/],
    ["twice.csv", "name,address\nA,0x70997970c51812dc3a010c7d01b50e0d17dc79c8\nB,0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n", /twice\.csv row 3, column address: .* already named "A" on row 2/],
    ["quote.csv", "name,address\n\"A,0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n", /quote\.csv.*not valid CSV/],
  ])("%s: one line naming file, row and column", (name, text, message) => {
    expect(() => readIdentityFile(file(name, text))).toThrow(message);
  });

  it("names a missing file", () => {
    expect(() => readIdentityFile(path.join(dir, "missing.csv"))).toThrow(/missing\.csv: cannot read the identity file \(no such file or directory\)/);
  });
});
