import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { flagNames } from "../../src/cli/action";
import { parseAddress } from "../../src/input/address";
import { InputError, renderFieldText } from "../../src/input/fields";
import { checkCount, parseCount } from "../../src/input/numbers";

describe("input errors by field", () => {
  const program = new Command().option("--database-file <file>");
  const command = program.command("payout-deploy").option("--checkpoint-id <id>").option("--payout-name <name>").option("--include-issuer");
  const names = flagNames(command, { name: "--payout-name" });

  it("names a field by its property for a program, by its flag for the CLI", () => {
    const error = new InputError("checkpointId", "checkpoint 9 does not exist");
    expect(error.message).toBe("checkpointId: checkpoint 9 does not exist");
    expect(error.renamed(names).message).toBe("--checkpoint-id: checkpoint 9 does not exist");
    expect(error.renamed(names).exitCode).toBe(error.exitCode);
  });

  it("maps fields the command names otherwise, global options, and leaves unknown names as they are", () => {
    expect(names("name")).toBe("--payout-name");
    expect(names("databaseFile")).toBe("--database-file");
    expect(names("includeIssuer")).toBe("--include-issuer");
    expect(names("the payout currency")).toBe("the payout currency");
  });

  it("renders messages and details that name fields anywhere in the text", () => {
    const error = new InputError("includeIssuer", (field) => `nobody left to pay; use ${field("includeIssuer")}`, {
      details: [(field) => `${field("checkpointId")} 3`, "plain"],
    });
    expect(error.message).toBe("nobody left to pay; use includeIssuer");
    const renamed = error.renamed(names);
    expect(renamed.message).toBe("nobody left to pay; use --include-issuer");
    expect(renamed.details).toEqual(["--checkpoint-id 3", "plain"]);
    expect(renderFieldText((field) => `drop ${field("checkpointId")}`, names)).toBe("drop --checkpoint-id");
  });

  it("parses shared input once, reporting the field", () => {
    expect(() => parseAddress("0x12", "exclude")).toThrow('exclude: "0x12" is not an Ethereum address');
    expect(parseCount(" 250 ", "batchSize", { min: 1, unit: "receivers" })).toBe(250);
    expect(() => parseCount("0", "batchSize", { min: 1, unit: "receivers" })).toThrow('batchSize: "0" must be a whole number of receivers, 1 or more');
    expect(() => parseCount("301", "batchSize", { min: 1, max: 300 })).toThrow('batchSize: "301" is not a whole number from 1 to 300');
    expect(() => checkCount(1.5, "batchSize", { min: 1, max: 300 })).toThrow('batchSize: "1.5" is not a whole number from 1 to 300');
  });
});
