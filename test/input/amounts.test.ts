import { parseUnits } from "ethers";
import { describe, expect, it } from "vitest";
import { checkTokenAmount } from "../../src/input/amounts";
import { seededRandom, testSeed } from "../helpers/random";

const SEED = testSeed("amounts.test.ts");

describe("checkTokenAmount", () => {
  it("converts like ethers' parseUnits, whole part, fraction and decimals drawn at random", () => {
    const next = seededRandom(SEED);
    const digits = (count: number) => Array.from({ length: count }, () => String(Math.floor(next() * 10))).join("");
    for (let i = 0; i < 3000; i++) {
      const decimals = Math.floor(next() * 25);
      const whole = digits(1 + Math.floor(next() * 30));
      const fraction = digits(Math.floor(next() * (decimals + 1)));
      // Trailing zeros beyond the decimals are allowed: they change nothing.
      const text = `${whole}${fraction === "" && next() < 0.5 ? "" : `.${fraction}${"0".repeat(Math.floor(next() * 3))}`}`.replace(/\.$/, ".0");
      const expected = parseUnits(text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text, decimals);
      const checked = checkTokenAmount(text, decimals);
      if (expected === 0n) expect(checked, text).toEqual({ reason: "must be above zero" });
      else expect(checked, `${text} with ${decimals} decimals`).toEqual({ units: expected });
    }
  });

  it("refuses what is not a positive amount of the token", () => {
    expect(checkTokenAmount("1.5", 0)).toEqual({ reason: "has more than 0 decimal places" });
    expect(checkTokenAmount("1.50", 1)).toEqual({ units: 15n });
    expect(checkTokenAmount("0.0000001", 6)).toEqual({ reason: "has more than 6 decimal places" });
    expect(checkTokenAmount("0.000", 6)).toEqual({ reason: "must be above zero" });
    expect(checkTokenAmount("-1", 6)).toEqual({ reason: "not a positive decimal number" });
    expect(checkTokenAmount("1e5", 6)).toEqual({ reason: "not a positive decimal number" });
    expect(checkTokenAmount(" 7 ", 2)).toEqual({ units: 700n });
    expect(checkTokenAmount((2n ** 256n - 1n).toString(), 0)).toEqual({ units: 2n ** 256n - 1n });
    expect(checkTokenAmount((2n ** 256n).toString(), 0)).toEqual({ reason: "too large for a uint256" });
    expect(checkTokenAmount("1".repeat(80), 0)).toEqual({ reason: "too large for a uint256" });
    expect(checkTokenAmount(`000${"1".repeat(61)}`, 18)).toEqual({ reason: "too large for a uint256" });
    expect(checkTokenAmount(`000${"1".repeat(60)}`, 18)).toEqual({ units: BigInt("1".repeat(60)) * 10n ** 18n });
  });
});
