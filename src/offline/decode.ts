import { formatUnits, getAddress, Interface, type ParamType, type Result } from "ethers";
import type { ContractArtifacts } from "../contracts/artifacts";
import type { UnsignedEntry } from "./files";

/**
 * What a transaction does, read from the bytes that will be signed — never from the note, which the
 * exporting machine wrote and anyone who touched the file could have changed.
 */
export interface DecodedTransaction {
  nonce: number;
  kind: "deployment" | "call" | "transfer of ether";
  /** The contract called (checksummed); undefined for a deployment. */
  to?: string;
  /** The contract deployed or called, when its code or function is one of sto's contracts. */
  contract?: string;
  /** e.g. `issueTokens(uint256 value)`; undefined when the selector or bytecode is unknown. */
  function?: string;
  /** The arguments in words: name, type and value (addresses checksummed, amounts with decimals). */
  arguments: DecodedArgument[];
  /** Set when the data could not be matched to a known contract: signing it is signing blind. */
  unknown?: string;
  valueWei: bigint;
  gasLimit: bigint;
  /** EIP-1559 fees, or the legacy gas price. */
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
  /** The most the transaction can cost in ether: gas limit × the highest fee, plus the value. */
  maxCostWei: bigint;
  /** The exporting machine's note: untrusted text. */
  note: string;
}

export interface DecodedArgument {
  name: string;
  type: string;
  value: string;
}

/** sto's own contracts, whose functions and creation code tx-sign recognises. */
const KNOWN_CONTRACTS = [
  "SecurityToken",
  "UnrestrictedTransferAgent",
  "RestrictedTransferAgent",
  "BasicKYC",
  "Payout",
  "Voting",
];

/** Any other ERC-20 (a payout currency): approve and transfer, amounts in base units. */
const ERC20_ABI = [
  "function approve(address spender, uint256 value)",
  "function transfer(address to, uint256 value)",
  "function transferFrom(address from, address to, uint256 value)",
];

/** SecurityToken has 18 decimals by contract (decimals() is pure), so its amounts can be shown in shares. */
const SHARE_DECIMALS = 18;

interface KnownContract {
  name: string;
  iface: Interface;
  bytecode?: string;
  decimals?: number;
}

/** Decodes transactions against the contracts this sto knows, with no node and no database. */
export class TransactionDecoder {
  private readonly contracts: KnownContract[];

  constructor(artifacts: ContractArtifacts) {
    this.contracts = [];
    for (const name of KNOWN_CONTRACTS) {
      try {
        const artifact = artifacts.get(name);
        this.contracts.push({
          name,
          iface: artifacts.interfaceOf(name),
          bytecode: artifact.bytecode === "0x" ? undefined : artifact.bytecode.toLowerCase(),
          decimals: name === "SecurityToken" ? SHARE_DECIMALS : undefined,
        });
      } catch {
        // An artifact missing from an --ethereum-abi-file: its transactions show as unknown.
      }
    }
    this.contracts.push({ name: "ERC-20", iface: new Interface(ERC20_ABI) });
  }

  decode(entry: UnsignedEntry): DecodedTransaction {
    const valueWei = BigInt(entry.value);
    const gasLimit = BigInt(entry.gasLimit);
    const fees =
      entry.type === 0
        ? { gasPrice: BigInt(entry.gasPrice ?? "0") }
        : { maxFeePerGas: BigInt(entry.maxFeePerGas ?? "0"), maxPriorityFeePerGas: BigInt(entry.maxPriorityFeePerGas ?? "0") };
    const base = {
      nonce: entry.nonce,
      valueWei,
      gasLimit,
      ...fees,
      maxCostWei: gasLimit * (fees.gasPrice ?? fees.maxFeePerGas ?? 0n) + valueWei,
      note: entry.note,
    };
    const data = entry.data.toLowerCase();
    if (entry.to === null) return { ...base, kind: "deployment", ...this.decodeDeployment(data) };
    const to = getAddress(entry.to);
    if (data === "0x") return { ...base, kind: "transfer of ether", to, arguments: [] };
    return { ...base, kind: "call", to, ...this.decodeCall(data) };
  }

  private decodeDeployment(data: string): Pick<DecodedTransaction, "contract" | "function" | "arguments" | "unknown"> {
    for (const contract of this.contracts) {
      if (!contract.bytecode || !data.startsWith(contract.bytecode)) continue;
      const deploy = contract.iface.deploy;
      try {
        const values = contract.iface.getAbiCoder().decode(deploy.inputs, `0x${data.slice(contract.bytecode.length)}`);
        return {
          contract: contract.name,
          function: `constructor(${describeInputs(deploy.inputs)})`,
          arguments: describeArguments(deploy.inputs, values, contract.decimals),
        };
      } catch {
        return { contract: contract.name, arguments: [], unknown: `${contract.name}'s code with constructor arguments that do not decode` };
      }
    }
    return { arguments: [], unknown: `the code of a contract sto does not know (${(data.length - 2) / 2} bytes)` };
  }

  private decodeCall(data: string): Pick<DecodedTransaction, "contract" | "function" | "arguments" | "unknown"> {
    const selector = data.slice(0, 10);
    for (const contract of this.contracts) {
      const fragment = contract.iface.getFunction(selector);
      if (!fragment) continue;
      try {
        const values = contract.iface.decodeFunctionData(fragment, data);
        return {
          contract: contract.name,
          function: `${fragment.name}(${describeInputs(fragment.inputs)})`,
          arguments: describeArguments(fragment.inputs, values, contract.decimals),
        };
      } catch {
        // The selector matched but the arguments do not decode: try the next contract.
      }
    }
    return { arguments: [], unknown: `a function sto does not know (selector ${selector}, ${(data.length - 10) / 2} bytes of arguments)` };
  }
}

function describeInputs(inputs: readonly ParamType[]): string {
  return inputs.map((input) => `${input.format("sighash")}${input.name ? ` ${input.name}` : ""}`).join(", ");
}

function describeArguments(inputs: readonly ParamType[], values: Result, decimals: number | undefined): DecodedArgument[] {
  return inputs.map((input, index) => ({
    name: input.name || `#${index + 1}`,
    type: input.format("sighash"),
    value: describeValue(input, values[index], decimals),
  }));
}

/** Amounts of a contract with known decimals are shown in whole units and base units; addresses checksummed. */
function describeValue(input: ParamType, value: unknown, decimals: number | undefined, name = input.name): string {
  if (input.isArray()) {
    // The items of `uint256[] values` are amounts as much as the list is.
    const items = Array.from(value as Iterable<unknown>).map((item) => describeValue(input.arrayChildren, item, decimals, name));
    return `[${items.join(", ")}] (${items.length} ${items.length === 1 ? "item" : "items"})`;
  }
  if (input.isTuple()) {
    const items = input.components.map((component, index) => describeValue(component, (value as Result)[index], decimals));
    return `(${items.join(", ")})`;
  }
  if (input.baseType === "address") return getAddress(value as string);
  if (input.baseType.startsWith("uint") || input.baseType.startsWith("int")) {
    const amount = value as bigint;
    if (decimals !== undefined && /value|amount|supply/i.test(name)) {
      return `${formatUnits(amount, decimals)} (${amount} base units)`;
    }
    return amount.toString();
  }
  if (input.baseType === "string") return JSON.stringify(value);
  return String(value);
}
