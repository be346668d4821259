import type { ContractArtifacts } from "../contracts/artifacts";
import type { PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";

/** A Safe{Wallet} Transaction Builder batch file (version 1.0). */
export interface SafeBatchFile {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: string;
    createdFromOwnerAddress: string;
  };
  transactions: SafeBatchTransaction[];
}

export interface SafeBatchTransaction {
  to: string;
  value: string;
  data: string | null;
  contractMethod: {
    inputs: { name: string; type: string; internalType: string }[];
    name: string;
    payable: boolean;
  } | null;
  contractInputsValues: Record<string, string> | null;
}

/**
 * The waiting calls as a Safe Transaction Builder batch: the Safe's owners review and execute them
 * together. Deployments cannot be part of a Safe batch (a Safe call has a receiver), so they are
 * refused: deploy from the advisor's own account, then grant the token's roles to the Safe.
 */
export function buildSafeBatch(
  rows: PreparedTransaction[],
  chainId: number,
  safeAddress: string,
  artifacts: ContractArtifacts,
  name: string,
): SafeBatchFile {
  const deployments = rows.filter((row) => row.isDeployment);
  if (deployments.length > 0) {
    throw new StoError(
      `a Safe batch cannot deploy contracts (nonces ${deployments.map((row) => row.nonce).join(", ")}): deploy from an ordinary account and grant the roles to the Safe`,
    );
  }
  const transactions = rows.map((row): SafeBatchTransaction => {
    const base = { to: row.toAddress as string, value: row.value, data: row.data };
    if (!row.contractName) return { ...base, contractMethod: null, contractInputsValues: null };
    const iface = artifacts.interfaceOf(row.contractName);
    const parsed = iface.parseTransaction({ data: row.data, value: BigInt(row.value) });
    if (!parsed) return { ...base, contractMethod: null, contractInputsValues: null };
    const inputs = parsed.fragment.inputs.map((input, index) => ({
      name: input.name || `arg${index}`,
      type: input.type,
      internalType: input.type,
    }));
    const values: Record<string, string> = {};
    parsed.fragment.inputs.forEach((_input, index) => {
      values[inputs[index].name] = safeValue(parsed.args[index]);
    });
    return {
      ...base,
      // With method and values given, the Transaction Builder encodes the call itself.
      data: null,
      contractMethod: { inputs, name: parsed.name, payable: parsed.fragment.payable },
      contractInputsValues: values,
    };
  });
  return {
    version: "1.0",
    chainId: String(chainId),
    createdAt: Date.now(),
    meta: {
      name,
      description: rows.map((row) => row.note).join("; ").slice(0, 1000),
      txBuilderVersion: "1.16.5",
      createdFromSafeAddress: safeAddress,
      createdFromOwnerAddress: "",
    },
    transactions,
  };
}

/** The Transaction Builder's text form of an argument: arrays as JSON, numbers in decimal. */
function safeValue(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return JSON.stringify(value.map((item) => (typeof item === "bigint" ? item.toString() : item)));
  return String(value);
}
