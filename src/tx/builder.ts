import { getCreateAddress } from "ethers";
import { StoError } from "../errors";
import type { TxEnvironment } from "./environment";

export interface StepOptions {
  /** Identifier of the business event in another system; for payments to holders. */
  externalId?: string;
  /** Who receives value (a token holder), when it is not the contract called. */
  receiver?: string;
  /** A gas limit known to the caller; skips estimation. */
  gasLimit?: bigint;
  /** Ether sent with the transaction, in wei. */
  value?: bigint;
}

export interface PlannedStep {
  nonce: number;
  note: string;
  contractName: string;
  functionSignature?: string;
  isDeployment: boolean;
  to?: string;
  contractAddress?: string;
  data: string;
  options: StepOptions;
  sourceName?: string;
  constructorArguments?: string;
  compilerInputId?: string;
}

/**
 * Collects the transactions of one command. Nonces are assigned in call order; a deployment's
 * address is known at once, so later steps can call the contract it will create.
 */
export class TransactionBuilder {
  readonly steps: PlannedStep[] = [];
  private readonly encodedFunctions = new Map<string, { selector: string; signature: string }>();

  constructor(
    private readonly env: TxEnvironment,
    readonly startNonce: number,
  ) {}

  get from(): string {
    return this.env.address;
  }

  /** Plans a deployment and returns the address the contract will have. */
  deploy(contractName: string, args: readonly unknown[], note: string, options: StepOptions = {}): string {
    const artifact = this.env.artifacts.get(contractName);
    if (artifact.bytecode === "0x") throw new StoError(`contract ${contractName} has no bytecode to deploy`);
    const iface = this.env.artifacts.interfaceOf(contractName);
    const constructorArguments = iface.encodeDeploy(args as unknown[]);
    const nonce = this.startNonce + this.steps.length;
    const contractAddress = getCreateAddress({ from: this.env.address, nonce });
    this.steps.push({
      nonce,
      note,
      contractName,
      isDeployment: true,
      contractAddress,
      data: artifact.bytecode + constructorArguments.slice(2),
      options,
      sourceName: `${artifact.sourceName}:${artifact.contractName}`,
      constructorArguments: constructorArguments.slice(2),
      compilerInputId: artifact.buildInfoId,
    });
    return contractAddress;
  }

  /** Plans a call of `method` on the contract at `address`. */
  call(contractName: string, address: string, method: string, args: readonly unknown[], note: string, options: StepOptions = {}): void {
    const iface = this.env.artifacts.interfaceOf(contractName);
    const fragment = iface.getFunction(method);
    if (!fragment) throw new StoError(`contract ${contractName} has no function ${method}`);
    this.steps.push({
      nonce: this.startNonce + this.steps.length,
      note,
      contractName,
      functionSignature: fragment.format("sighash"),
      isDeployment: false,
      to: address,
      data: iface.encodeFunctionData(fragment, args as unknown[]),
      options,
    });
  }

  /**
   * Plans a call whose calldata the caller has encoded already. For hot paths only: a distribution
   * prepares thousands of transfers, and ABI encoding through ethers (about 60 µs per call, mostly
   * address checksumming again) would cost more than all the rest of preparing. `method` must be a
   * function of the contract and `data` must start with its selector.
   */
  callEncoded(contractName: string, address: string, method: string, data: string, note: string, options: StepOptions = {}): void {
    const key = `${contractName}.${method}`;
    let known = this.encodedFunctions.get(key);
    if (!known) {
      // Computing a selector hashes the signature: once per function, not per call.
      const fragment = this.env.artifacts.interfaceOf(contractName).getFunction(method);
      if (!fragment) throw new StoError(`contract ${contractName} has no function ${method}`);
      known = { selector: fragment.selector, signature: fragment.format("sighash") };
      this.encodedFunctions.set(key, known);
    }
    if (!data.startsWith(known.selector)) throw new Error(`calldata for ${key} does not start with its selector ${known.selector}`);
    this.steps.push({
      nonce: this.startNonce + this.steps.length,
      note,
      contractName,
      functionSignature: known.signature,
      isDeployment: false,
      to: address,
      data,
      options,
    });
  }
}
