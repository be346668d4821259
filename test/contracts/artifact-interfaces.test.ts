import { Interface } from "ethers";
import { describe, expect, it } from "vitest";
import { ContractArtifacts } from "../../src/contracts/artifacts";

describe("ContractArtifacts.interfaceOf", () => {
  it("parses each contract's ABI once and agrees with the ABI it was parsed from", () => {
    const artifacts = new ContractArtifacts();
    for (const name of ["SecurityToken", "BasicKYC", "RestrictedTransferAgent"]) {
      const iface = artifacts.interfaceOf(name);
      expect(artifacts.interfaceOf(name)).toBe(iface);
      expect(JSON.parse(iface.formatJson())).toEqual(JSON.parse(new Interface(artifacts.get(name).abi).formatJson()));
    }
  });

  it("holds SecurityToken's extension functions too, as its merged ABI does", () => {
    const artifacts = new ContractArtifacts();
    const token = artifacts.interfaceOf("SecurityToken");
    const extension = new Interface(artifacts.get("SecurityTokenExtension").abi);
    const functions = (iface: Interface) => iface.fragments.filter((fragment) => fragment.type === "function").map((fragment) => fragment.format("sighash"));
    const own = functions(token);
    expect(functions(extension).every((signature) => own.includes(signature))).toBe(true);
    expect(token.getFunction("batchTransfer")?.selector).toBe(new Interface(artifacts.get("SecurityToken").abi).getFunction("batchTransfer")?.selector);
  });
});
