import fs from "node:fs";
import path from "node:path";
import type { Fragment, Interface, InterfaceAbi } from "ethers";
import { StoError } from "../errors";
import { readInputText } from "../files";
import { PACKAGE_ROOT } from "../package-root";

/** The contracts the CLI deploys or calls, by their Solidity name. */
export type ContractName =
  | "SecurityToken"
  | "UnrestrictedTransferAgent"
  | "RestrictedTransferAgent"
  | "BasicKYC"
  | "PlainERC20"
  | (string & {});

export interface ContractArtifact {
  contractName: string;
  /** Fully qualified source name, e.g. `contracts/SecurityToken.sol`. */
  sourceName: string;
  abi: InterfaceAbi;
  /** Creation bytecode, 0x-prefixed. Empty for interfaces and abstract contracts. */
  bytecode: string;
  /** Where the artifact came from: a Hardhat artifact file or the --ethereum-abi-file. */
  origin: string;
  /** Hardhat build-info id holding the exact compiler input, for source verification. */
  buildInfoId?: string;
}

export { PACKAGE_ROOT };
export const DEFAULT_ARTIFACTS_DIR = path.join(PACKAGE_ROOT, "artifacts");

/**
 * Finds ABI and bytecode of contracts: from an --ethereum-abi-file (solc standard-JSON output or
 * `solc --combined-json abi,bin` output) when given, otherwise from the Hardhat build output.
 */
export class ContractArtifacts {
  private readonly overrides = new Map<string, ContractArtifact>();
  private readonly cache = new Map<string, ContractArtifact>();
  private readonly interfaces = new Map<string, Interface>();

  constructor(
    private readonly artifactsDir: string = DEFAULT_ARTIFACTS_DIR,
    abiFile?: string,
  ) {
    if (abiFile) {
      for (const artifact of readCompilerOutput(abiFile)) {
        this.overrides.set(artifact.contractName, artifact);
      }
    }
  }

  get(name: ContractName): ContractArtifact {
    const override = this.overrides.get(name);
    if (override) return override;
    const cached = this.cache.get(name);
    if (cached) return cached;
    let artifact = this.readHardhatArtifact(name);
    const extension = EXTENSIONS[name];
    if (extension) {
      const merged = withExtensionAbi(artifact.abi, this.get(extension).abi);
      artifact = { ...artifact, abi: merged.abi };
      this.interfaces.set(name, merged.iface);
    }
    this.cache.set(name, artifact);
    return artifact;
  }

  /**
   * The contract's ABI as ethers' Interface, parsed once per command: parsing SecurityToken's takes
   * about 8 ms in a fresh process, and preparing a distribution parsed it four times (the token's
   * reads, the compliance rules, the calldata, the transaction builder). Contracts take it in place
   * of the ABI; it is not changed by its users.
   */
  interfaceOf(name: ContractName): Interface {
    const artifact = this.get(name);
    let iface = this.interfaces.get(name);
    if (!iface) {
      const { Interface } = require("ethers") as typeof import("ethers");
      iface = new Interface(artifact.abi);
      this.interfaces.set(name, iface);
    }
    return iface;
  }

  private readHardhatArtifact(name: string): ContractArtifact {
    const file = findArtifactFile(this.artifactsDir, name);
    if (!file) {
      throw new StoError(
        (flag) => `contract ${name} not found in ${this.artifactsDir}: run "npm run build" (or pass ${flag("ethereumAbiFile")})`,
      );
    }
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
      contractName: string;
      sourceName: string;
      abi: InterfaceAbi;
      bytecode: string;
    };
    return {
      contractName: json.contractName,
      sourceName: json.sourceName,
      abi: json.abi,
      bytecode: json.bytecode,
      origin: file,
      buildInfoId: readBuildInfoId(file),
    };
  }
}

/**
 * Contracts whose fallback delegates to a second contract's code in their own storage: callers
 * see both ABIs as one (SecurityToken's cold half lives in SecurityTokenExtension, see
 * docs/contracts.md).
 */
const EXTENSIONS: Record<string, string> = { SecurityToken: "SecurityTokenExtension" };

/** `abi` plus the functions, events and errors of `extensionAbi` it does not already declare, and their Interface. */
function withExtensionAbi(abi: InterfaceAbi, extensionAbi: InterfaceAbi): { abi: InterfaceAbi; iface: Interface } {
  // ethers is loaded here, when an ABI is first read: a command that reads none (token-scan) never loads it.
  const { ErrorFragment, EventFragment, FunctionFragment, Interface } = require("ethers") as typeof import("ethers");
  const own = new Interface(abi);
  // Compared by signature, not by selector: Interface.getFunction(selector) computes every
  // fragment's selector (a keccak) again on each look-up, which made this merge ~100 ms per command.
  const signature = (fragment: Fragment): string | undefined =>
    FunctionFragment.isFragment(fragment) || EventFragment.isFragment(fragment) || ErrorFragment.isFragment(fragment)
      ? `${fragment.type} ${fragment.format("sighash")}`
      : undefined;
  const declared = new Set(own.fragments.map(signature));
  const merged = own.fragments.slice();
  for (const fragment of new Interface(extensionAbi).fragments) {
    const key = signature(fragment);
    // Constructor and fallback are the extension's own.
    if (key !== undefined && !declared.has(key)) merged.push(fragment);
  }
  const iface = new Interface(merged);
  return { abi: JSON.parse(iface.formatJson()) as InterfaceAbi, iface };
}

/** Hardhat writes `<Name>.dbg.json` beside each artifact, pointing at its build-info file. */
function readBuildInfoId(artifactFile: string): string | undefined {
  const debugFile = artifactFile.replace(/\.json$/, ".dbg.json");
  if (!fs.existsSync(debugFile)) return undefined;
  const debug = JSON.parse(fs.readFileSync(debugFile, "utf8")) as { buildInfo?: string };
  return debug.buildInfo ? path.basename(debug.buildInfo, ".json") : undefined;
}

/** The solc standard-JSON input and version of a Hardhat build-info file. */
export function readBuildInfo(
  buildInfoId: string,
  artifactsDir: string = DEFAULT_ARTIFACTS_DIR,
): { solcVersion: string; solcLongVersion: string; input: unknown } {
  const file = path.join(artifactsDir, "build-info", `${buildInfoId}.json`);
  if (!fs.existsSync(file)) throw new StoError(`build-info ${buildInfoId} not found in ${artifactsDir}: rebuild with "npm run build"`);
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as { solcVersion: string; solcLongVersion: string; input: unknown };
  return { solcVersion: json.solcVersion, solcLongVersion: json.solcLongVersion, input: json.input };
}

function findArtifactFile(artifactsDir: string, name: string): string | undefined {
  // Our own contracts first: artifacts/contracts/**/<Name>.sol/<Name>.json
  const roots = [path.join(artifactsDir, "contracts"), artifactsDir];
  for (const root of roots) {
    const found = searchDir(root, `${name}.json`);
    if (found) return found;
  }
  return undefined;
}

function searchDir(dir: string, fileName: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isFile() && entry.name === fileName) return path.join(dir, entry.name);
  }
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name !== "build-info") {
      const found = searchDir(path.join(dir, entry.name), fileName);
      if (found) return found;
    }
  }
  return undefined;
}

interface StandardJsonContract {
  abi?: InterfaceAbi;
  evm?: { bytecode?: { object?: string } };
}

interface CombinedJsonContract {
  abi?: InterfaceAbi | string;
  bin?: string;
}

/** Reads every contract with an ABI from a solc output file. */
export function readCompilerOutput(file: string): ContractArtifact[] {
  const text = readInputText(file, "ABI file");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StoError(`${file}: not a readable solc JSON output (${(error as Error).message})`);
  }
  const contracts = (parsed as { contracts?: Record<string, unknown> }).contracts;
  if (!contracts || typeof contracts !== "object") {
    throw new StoError(`${file}: no "contracts" object; expected solc standard-JSON or --combined-json output`);
  }
  const result: ContractArtifact[] = [];
  for (const [key, value] of Object.entries(contracts)) {
    if (key.includes(":")) {
      // --combined-json: "path/File.sol:Name": { abi, bin }
      const combined = value as CombinedJsonContract;
      const separator = key.lastIndexOf(":");
      const abi = typeof combined.abi === "string" ? (JSON.parse(combined.abi) as InterfaceAbi) : combined.abi;
      if (!abi) continue;
      result.push({
        contractName: key.slice(separator + 1),
        sourceName: key.slice(0, separator),
        abi,
        bytecode: withHexPrefix(combined.bin ?? ""),
        origin: file,
      });
    } else {
      // standard JSON: "path/File.sol": { Name: { abi, evm.bytecode.object } }
      for (const [contractName, contract] of Object.entries(value as Record<string, StandardJsonContract>)) {
        if (!contract.abi) continue;
        result.push({
          contractName,
          sourceName: key,
          abi: contract.abi,
          bytecode: withHexPrefix(contract.evm?.bytecode?.object ?? ""),
          origin: file,
        });
      }
    }
  }
  if (result.length === 0) throw new StoError(`${file}: the solc output holds no contract with an ABI`);
  return result;
}

function withHexPrefix(hex: string): string {
  if (hex === "") return "0x";
  return hex.startsWith("0x") ? hex : `0x${hex}`;
}
