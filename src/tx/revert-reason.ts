import { AbiCoder, isError } from "ethers";
import type { ContractArtifacts } from "../contracts/artifacts";

/** Contracts whose custom errors we can name in a revert reason. */
const KNOWN_CONTRACTS = [
  "SecurityToken",
  "BasicKYC",
  "RestrictedTransferAgent",
  "UnrestrictedTransferAgent",
  "Payout",
  "Voting",
  "PlainERC20",
];

const PANIC_CODES: Record<number, string> = {
  0x01: "assertion failed",
  0x11: "arithmetic overflow or underflow",
  0x12: "division by zero",
  0x21: "invalid enum value",
  0x31: "pop on empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an invalid function",
};

/** Finds the revert data hidden in an ethers or JSON-RPC error, if any. */
export function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown): string | undefined => {
    if (!value || typeof value !== "object" || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    if (typeof record.data === "string" && /^0x[0-9a-fA-F]*$/.test(record.data) && record.data.length >= 10) {
      return record.data;
    }
    for (const key of ["data", "error", "info", "cause", "payload"]) {
      const found = visit(record[key]);
      if (found) return found;
    }
    return undefined;
  };
  return visit(error);
}

/** Decodes revert data: Error(string), Panic(uint256) or a custom error of one of our contracts. */
export function decodeRevertData(data: string, artifacts?: ContractArtifacts): string {
  if (data === "0x" || data.length < 10) return "reverted without a reason";
  const selector = data.slice(0, 10).toLowerCase();
  const coder = AbiCoder.defaultAbiCoder();
  try {
    if (selector === "0x08c379a0") return coder.decode(["string"], `0x${data.slice(10)}`)[0] as string;
    if (selector === "0x4e487b71") {
      const code = Number(coder.decode(["uint256"], `0x${data.slice(10)}`)[0] as bigint);
      return `panic: ${PANIC_CODES[code] ?? `code 0x${code.toString(16)}`}`;
    }
  } catch {
    return `reverted with malformed data ${data.slice(0, 74)}`;
  }
  if (artifacts) {
    for (const name of KNOWN_CONTRACTS) {
      try {
        const iface = artifacts.interfaceOf(name);
        const parsed = iface.parseError(data);
        if (parsed) {
          return `${parsed.name}(${parsed.args.map((arg: unknown) => String(arg)).join(", ")})`;
        }
      } catch {
        // Not built, or not this contract's error: try the next.
      }
    }
  }
  return `reverted with custom error ${selector}`;
}

/** A one-line explanation of why a call or an estimate failed. */
export function describeRevert(error: unknown, artifacts?: ContractArtifacts): string {
  const data = revertData(error);
  if (data) return decodeRevertData(data, artifacts);
  if (isError(error, "CALL_EXCEPTION") && error.reason) return error.reason;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].slice(0, 200);
}
