import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { keccak256, ZeroAddress, ZeroHash } from "ethers";
import { percent } from "../../src/cli/commands/voting-results";
import { paymentExternalId, planDividends, type PaymentWithStatus } from "../../src/corporate/payout/dividends";
import type { HolderPosition, PayoutState } from "../../src/corporate/payout/state";
import { formatTime, parseFutureTime } from "../../src/input/dates";
import { chooseExclusions } from "../../src/corporate/record-date";
import { parseAnnouncement, parseRecordDateOptions } from "../../src/cli/corporate-options";
import { findOption } from "../../src/corporate/voting/ballot";
import { validateBallot } from "../../src/corporate/voting/deploy";
import { etherscanCompilerVersion } from "../../src/verify/verify";
import { tempDir } from "../helpers/cli";

const NOW = Date.UTC(2025, 0, 1) / 1000;

describe("dates", () => {
  it("reads durations from the chain's time and dates as UTC", () => {
    expect(parseFutureTime("90d", "--expiry", NOW)).toBe(NOW + 90 * 86_400);
    expect(parseFutureTime("2w", "--expiry", NOW)).toBe(NOW + 14 * 86_400);
    expect(parseFutureTime(" 12h ", "--expiry", NOW)).toBe(NOW + 12 * 3600);
    expect(parseFutureTime("2025-06-30", "--expiry", NOW)).toBe(Date.UTC(2025, 5, 30) / 1000);
    expect(parseFutureTime("2025-06-30T12:00", "--expiry", NOW)).toBe(Date.UTC(2025, 5, 30, 12) / 1000);
    expect(parseFutureTime("2025-06-30T12:00:00+02:00", "--expiry", NOW)).toBe(Date.UTC(2025, 5, 30, 10) / 1000);
    expect(formatTime(Date.UTC(2025, 5, 30, 10) / 1000)).toBe("2025-06-30T10:00:00Z");
  });

  it("refuses the past and anything else with the flag's name", () => {
    expect(() => parseFutureTime("2024-12-31", "--end", NOW)).toThrow("--end: 2024-12-31T00:00:00Z is not in the future");
    expect(() => parseFutureTime("0d", "--end", NOW)).toThrow("not in the future");
    expect(() => parseFutureTime("next week", "--end", NOW)).toThrow('--end: "next week" is neither a duration');
    expect(() => parseFutureTime("2025-02-30", "--end", NOW)).toThrow('--end: "2025-02-30" is not a valid date');
    expect(() => parseFutureTime("2025-06-30T25:00", "--end", NOW)).toThrow("is not a valid date");
  });
});

describe("percentages", () => {
  it("are exact and rounded half up", () => {
    expect(percent(250n, 350n)).toBe("71.43%");
    expect(percent(100n, 350n)).toBe("28.57%");
    expect(percent(1n, 8n)).toBe("12.50%");
    expect(percent(1n, 200_000n)).toBe("0.00%");
    expect(percent(1n, 20_000n)).toBe("0.01%");
    expect(percent(0n, 0n)).toBe("0.00%");
  });
});

describe("etherscan compiler version", () => {
  it("drops the solc-js build suffix", () => {
    expect(etherscanCompilerVersion("0.8.28+commit.7893614a.Emscripten.clang")).toBe("v0.8.28+commit.7893614a");
    expect(etherscanCompilerVersion("0.8.28+commit.7893614a")).toBe("v0.8.28+commit.7893614a");
  });
});

describe("ballots", () => {
  it("defaults to Yes/No/Abstain and refuses duplicates, numbers and single options", () => {
    expect(validateBallot([])).toEqual(["Yes", "No", "Abstain"]);
    expect(validateBallot([" For ", "Against"])).toEqual(["For", "Against"]);
    expect(() => validateBallot(["Yes"])).toThrow("at least two options");
    expect(() => validateBallot(["Yes", "yes"])).toThrow('"yes" is given twice');
    expect(() => validateBallot(["1", "2"])).toThrow("is a number");
  });

  it("finds an option by name or number", () => {
    expect(findOption(["For", "Against"], "against")).toBe(1);
    expect(findOption(["For", "Against"], "0")).toBe(0);
    expect(() => findOption(["For", "Against"], "2")).toThrow("the options are 0 = For, 1 = Against");
  });
});

describe("record date options", () => {
  const issuer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  const other = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

  it("excludes the issuer unless told, each address once", () => {
    expect(chooseExclusions(issuer, [], false)).toEqual([issuer]);
    expect(chooseExclusions(issuer, [other, issuer], false)).toEqual([issuer, other]);
    expect(chooseExclusions(issuer, [other], true)).toEqual([other]);
    expect(() => chooseExclusions(issuer, [ZeroAddress], false)).toThrow("exclude: the zero address");
  });

  it("parses the record date flags into the service's typed request", () => {
    const flags = { tokenAddress: issuer, uri: "u", type: "0" };
    expect(parseRecordDateOptions({ ...flags, exclude: `${other.toLowerCase()}, ${issuer}` }, issuer)).toEqual({
      tokenAddress: issuer,
      checkpointId: undefined,
      kycAddress: undefined,
      exclude: [other, issuer],
      includeIssuer: false,
    });
    expect(parseRecordDateOptions({ ...flags, kycAddress: " None ", checkpointId: "3", includeIssuer: true }, issuer)).toMatchObject({
      kycAddress: ZeroAddress,
      checkpointId: 3n,
      includeIssuer: true,
    });
    expect(() => parseRecordDateOptions({ ...flags, exclude: "0x123" }, issuer)).toThrow('--exclude: "0x123" is not an Ethereum address');
    expect(() => parseRecordDateOptions({ ...flags, checkpointId: "first" }, issuer)).toThrow('--checkpoint-id: "first" is not a checkpoint number');
  });

  it("takes the announcement hash from the flag or the document", () => {
    expect(parseAnnouncement({ type: "0", uri: "https://x" })).toEqual({ type: 0n, uri: "https://x", contentHash: ZeroHash });
    const hash = `0x${"ab".repeat(32)}`;
    expect(parseAnnouncement({ type: "7", uri: "u", contentHash: hash.toUpperCase().replace("0X", "0x") }).contentHash).toBe(hash);
    const folder = tempDir("sto-doc-");
    try {
      const file = path.join(folder.dir, "decision.pdf");
      fs.writeFileSync(file, "board decision");
      expect(parseAnnouncement({ type: "1", uri: "u", documentFile: file }).contentHash).toBe(keccak256(Buffer.from("board decision")));
      expect(() => parseAnnouncement({ type: "-1", uri: "u" })).toThrow("--type");
      expect(() => parseAnnouncement({ type: "0", uri: "u", contentHash: "0x12" })).toThrow("--content-hash");
      expect(() => parseAnnouncement({ type: "0", uri: "u", contentHash: hash, documentFile: file })).toThrow("not both");
    } finally {
      folder.cleanup();
    }
  });
});

describe("planning dividends", () => {
  const payout = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  const holder = (n: number, overrides: Partial<HolderPosition> = {}): HolderPosition => ({
    holder: `0x${n.toString(16).padStart(40, "0")}`,
    shares: 10n,
    excluded: false,
    eligible: true,
    entitlement: 100n,
    paid: 0n,
    due: 100n,
    failedPayment: null,
    ...overrides,
  });
  const state = (holders: HolderPosition[]) => ({ address: payout, holders }) as PayoutState;
  let nextId = 1;
  const payment = (position: HolderPosition, txStatus: PaymentWithStatus["txStatus"], paidAmount: string | null, externalId?: string): PaymentWithStatus =>
    ({
      id: nextId++,
      holder: position.holder,
      externalId: externalId ?? paymentExternalId(payout, position.holder, 1),
      txStatus,
      paidAmount,
      supersededAt: null,
    }) as PaymentWithStatus;

  it("pays who is due, in batches, and skips the paid, the pending, the excluded and the ineligible", () => {
    const due = [1, 2, 3].map((n) => holder(n));
    const paid = holder(4, { paid: 100n, due: 0n });
    const pending = holder(5);
    const excluded = holder(6, { excluded: true, entitlement: 0n, due: 0n });
    const ineligible = holder(7, { eligible: false });
    const dust = holder(8, { entitlement: 0n, due: 0n });
    const plan = planDividends(state([...due, paid, pending, excluded, ineligible, dust]), [payment(pending, "broadcasted", null)], 2);
    expect(plan.batches.map((batch) => batch.map((entry) => entry.position.holder))).toEqual([[due[0].holder, due[1].holder], [due[2].holder]]);
    expect(plan.batches[0][0].externalId).toBe(`payout:${payout}:${due[0].holder}`);
    expect(plan.total).toBe(300n);
    expect(plan.paid).toEqual([paid]);
    expect(plan.pending).toEqual([pending]);
    expect(plan.notEligible).toEqual([ineligible]);
    expect(plan.nothingDue).toEqual([dust]);
  });

  it("retries a failed or skipped payment under its external id, and numbers top-ups", () => {
    const failed = holder(1);
    const skipped = holder(2);
    const toppedUp = holder(3, { entitlement: 150n, paid: 100n, due: 50n });
    const failedRow = payment(failed, "failed", null);
    const skippedRow = payment(skipped, "success", "0");
    const plan = planDividends(state([failed, skipped, toppedUp]), [failedRow, skippedRow, payment(toppedUp, "success", "100")], 10);
    const [a, b, c] = plan.batches[0];
    expect([a.externalId, a.supersedes]).toEqual([failedRow.externalId, [failedRow.id]]);
    expect([b.externalId, b.supersedes]).toEqual([skippedRow.externalId, [skippedRow.id]]);
    expect([c.externalId, c.supersedes]).toEqual([`payout:${payout}:${toppedUp.holder}:2`, []]);
  });
});
