/**
 * The chain the tests and the benchmarks run on (test/helpers/chain.ts re-exports it for the tests;
 * bench/ imports it from here, never from test/): a real in-process Hardhat chain served over JSON-RPC, ethers v6 signers for the
 * public development accounts, and deployment of our compiled contracts.
 *
 * Usage (one chain per test file keeps files independent and lets vitest run them in parallel):
 *
 * ```ts
 * let chain: TestChain;
 * beforeAll(async () => { chain = await startTestChain(); });
 * afterAll(async () => { await chain.close(); });
 *
 * const [issuer, alice] = chain.signers;
 * const token = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com"]);
 * // A SecurityToken deployed with name, symbol and URL only gets the chain's one
 * // SecurityTokenExtension (deployed at the first token) as its fourth constructor argument.
 * await (await token.issueTokens(100n)).wait();
 * await expectRevert(as(token, alice).issueTokens(1n), "AccessControlUnauthorizedAccount");
 * ```
 *
 * Contracts must be compiled first (`npx hardhat compile`, run by `npm test` via `pretest`).
 *
 * Nonces: every signer hands out nonces from a local counter and sends its transactions one at a time,
 * so several transactions fired without awaiting each other (`Promise.all`) get consecutive nonces, and
 * a transaction that fails before it is sent (a revert caught by gas estimation) does not burn a nonce.
 * ethers' own `NonceManager` burns one in that case and every later transaction of the account then
 * hangs, which is why it is not used here.
 */
import fs from "node:fs";
import path from "node:path";
import {
  AbiCoder,
  AbstractSigner,
  Contract,
  ContractFactory,
  HDNodeWallet,
  Interface,
  JsonRpcProvider,
  Mnemonic,
  Network,
  Wallet,
  dataSlice,
  type BaseContract,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type JsonFragment,
  type Log,
  type LogDescription,
  type Provider,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { DEVELOPMENT_MNEMONIC, LOCAL_CHAIN_ID, startLocalChain, type LocalChain } from "../chain/local-node";
import { ContractArtifacts, DEFAULT_ARTIFACTS_DIR } from "../contracts/artifacts";

/** A signer for one development account with a local, gap-free nonce counter (see the file comment). */
export class TestSigner extends AbstractSigner<Provider> {
  readonly wallet: Wallet;
  readonly address: string;
  #nextNonce: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(wallet: Wallet, provider: Provider) {
    super(provider);
    this.wallet = wallet.connect(provider);
    this.address = wallet.address;
  }

  override async getAddress(): Promise<string> {
    return this.address;
  }

  override connect(provider: Provider | null): TestSigner {
    if (!provider) throw new Error("TestSigner needs a provider");
    return new TestSigner(this.wallet, provider);
  }

  /** Forget the cached nonce; the next transaction reads it from the node. Call after evm_revert. */
  resetNonce(): void {
    this.#nextNonce = undefined;
  }

  override async getNonce(blockTag?: string): Promise<number> {
    if (blockTag === "pending" && this.#nextNonce !== undefined) return this.#nextNonce;
    return this.provider.getTransactionCount(this.address, blockTag);
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.wallet.signMessage(message);
  }

  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.wallet.signTypedData(domain, types, value);
  }

  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const result = this.#queue.then(() => this.#send(tx));
    // The queue carries on after a failure; the caller still sees the error.
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #send(tx: TransactionRequest): Promise<TransactionResponse> {
    if (this.#nextNonce === undefined) {
      this.#nextNonce = await this.provider.getTransactionCount(this.address, "pending");
    }
    const nonce = tx.nonce ?? this.#nextNonce;
    // Gas estimation happens here: a reverting call throws before any nonce is used.
    const populated = await this.wallet.populateTransaction({ ...tx, nonce });
    try {
      const response = await this.wallet.sendTransaction(populated);
      this.#nextNonce = Math.max(this.#nextNonce, nonce + 1);
      return response;
    } catch (error) {
      this.resetNonce();
      throw error;
    }
  }
}

export interface TestChainOptions {
  /** Number of funded development accounts (default 20). */
  accounts?: number;
  /** Mine each transaction at once (default). With false, call `mine()` to include pending ones. */
  automine?: boolean;
}

export interface TestChain {
  /** JSON-RPC endpoint, e.g. for `sto --ethereum-node-url` in CLI end-to-end tests. */
  readonly url: string;
  readonly chainId: bigint;
  readonly provider: JsonRpcProvider;
  /** Development accounts, funded with 10,000 ETH each; `signers[0]` deploys by default. */
  readonly signers: TestSigner[];
  /** Their private keys (public knowledge: Hardhat's "test test ... junk" mnemonic). */
  readonly privateKeys: string[];
  readonly artifacts: ContractArtifacts;
  /** Deploys a compiled contract by its Solidity name and waits for it to be mined. */
  deploy(name: string, args?: readonly unknown[], signer?: TestSigner): Promise<Contract>;
  /** Like `deploy`, also returning the deployment receipt (gas used, block). */
  deployWithReceipt(
    name: string,
    args?: readonly unknown[],
    signer?: TestSigner,
  ): Promise<{ contract: Contract; receipt: TransactionReceipt }>;
  /** An ethers Contract for an already deployed contract. */
  at(name: string, address: string, runner?: ContractRunner): Contract;
  /** Timestamp of the latest block. */
  latestTimestamp(): Promise<number>;
  /** Moves the chain clock forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Mines `blocks` blocks (default 1). */
  mine(blocks?: number): Promise<void>;
  /** Saves the chain state; pass the id to `revert` to go back to it. */
  snapshot(): Promise<string>;
  /** Restores a snapshot (consumed by the revert, as in Hardhat) and resets the signers' nonces. */
  revert(snapshotId: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a local chain for one test file. Always `close()` it in `afterAll`. */
export async function startTestChain(options: TestChainOptions = {}): Promise<TestChain> {
  const count = options.accounts ?? 20;
  const local: LocalChain = await startLocalChain({ port: 0, accounts: count, automine: options.automine ?? true });
  const network = Network.from(LOCAL_CHAIN_ID);
  const provider = new JsonRpcProvider(local.url, network, {
    staticNetwork: network,
    // Results of identical calls are otherwise cached for 250 ms: tests read state right after writes.
    cacheTimeout: -1,
    pollingInterval: 20,
    // No 10 ms wait to gather requests into JSON-RPC batches: tests make one request at a time.
    batchMaxCount: 1,
  });
  const privateKeys = developmentPrivateKeys(count);
  const signers = privateKeys.map((key) => new TestSigner(new Wallet(key), provider));
  const artifacts = new ContractArtifacts();

  let extension: Promise<string> | undefined;
  const deployWithReceipt = async (
    name: string,
    args: readonly unknown[] = [],
    signer: TestSigner = signers[0],
  ): Promise<{ contract: Contract; receipt: TransactionReceipt }> => {
    if (name === "SecurityToken" && args.length === 3) {
      // One SecurityTokenExtension serves every token of the chain, as with the CLI.
      extension ??= deployWithReceipt("SecurityTokenExtension").then(({ contract }) => contract.target as string);
      args = [...args, await extension];
    }
    const artifact = artifacts.get(name);
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
    const deployed = await factory.deploy(...args);
    const receipt = await deployed.deploymentTransaction()?.wait();
    if (!receipt?.contractAddress) throw new Error(`deployment of ${name} was not mined`);
    return { contract: new Contract(receipt.contractAddress, artifact.abi, signer), receipt };
  };

  const rpc = <T>(method: string, params: unknown[] = []): Promise<T> => provider.send(method, params) as Promise<T>;

  return {
    url: local.url,
    chainId: BigInt(LOCAL_CHAIN_ID),
    provider,
    signers,
    privateKeys,
    artifacts,
    deploy: async (name, args = [], signer = signers[0]) => (await deployWithReceipt(name, args, signer)).contract,
    deployWithReceipt,
    at(name, address, runner = signers[0]) {
      return new Contract(address, artifacts.interfaceOf(name), runner);
    },
    async latestTimestamp() {
      const block = await provider.getBlock("latest");
      if (!block) throw new Error("no latest block");
      return block.timestamp;
    },
    async increaseTime(seconds) {
      await rpc("evm_increaseTime", [seconds]);
      await rpc("evm_mine");
    },
    async mine(blocks = 1) {
      await rpc("hardhat_mine", [`0x${blocks.toString(16)}`]);
    },
    snapshot() {
      return rpc<string>("evm_snapshot");
    },
    async revert(snapshotId) {
      const ok = await rpc<boolean>("evm_revert", [snapshotId]);
      if (!ok) throw new Error(`evm_revert ${snapshotId} failed`);
      for (const signer of signers) signer.resetNonce();
    },
    async close() {
      provider.destroy();
      await local.close();
    },
  };
}

/** Private keys of the first `count` development accounts (m/44'/60'/0'/0/i). */
export function developmentPrivateKeys(count: number): string[] {
  const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEVELOPMENT_MNEMONIC), "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => root.deriveChild(i).privateKey);
}

/** `contract` with another signer, keeping the Contract type (ethers' `connect` returns BaseContract). */
export function as(contract: Contract | BaseContract, runner: ContractRunner): Contract {
  return contract.connect(runner) as Contract;
}

/** Waits for a sent transaction's receipt; throws if it reverted (ethers' `wait()` does). */
export async function mined(
  sent: Promise<ContractTransactionResponse> | ContractTransactionResponse,
): Promise<ContractTransactionReceipt>;
export async function mined(sent: Promise<TransactionResponse> | TransactionResponse): Promise<TransactionReceipt>;
export async function mined(sent: Promise<TransactionResponse> | TransactionResponse): Promise<TransactionReceipt> {
  const receipt = await (await sent).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return receipt;
}

/** The events named `eventName` emitted by `contract` in `receipt`, decoded with its ABI. */
export function eventsOf(
  receipt: TransactionReceipt,
  contract: Contract | BaseContract,
  eventName: string,
): LogDescription[] {
  const address = (contract.target as string).toLowerCase();
  const found: LogDescription[] = [];
  for (const log of receipt.logs as readonly Log[]) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed && parsed.name === eventName) found.push(parsed);
  }
  return found;
}

/** A decoded custom error (or `Error(string)` / `Panic(uint256)`) from a failed call or transaction. */
export interface DecodedRevert {
  name: string;
  args: unknown[];
}

let errorInterface: Interface | undefined;

/** One Interface holding every custom error declared in our compiled contracts (OZ's included). */
function allErrors(): Interface {
  if (errorInterface) return errorInterface;
  const fragments = new Map<string, JsonFragment>();
  const visit = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "build-info") visit(full);
      } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
        const artifact = JSON.parse(fs.readFileSync(full, "utf8")) as { abi?: JsonFragment[] };
        for (const fragment of artifact.abi ?? []) {
          if (fragment.type !== "error") continue;
          const signature = `${fragment.name}(${(fragment.inputs ?? []).map((input) => input.type).join(",")})`;
          fragments.set(signature, fragment);
        }
      }
    }
  };
  visit(path.join(DEFAULT_ARTIFACTS_DIR, "contracts"));
  visit(path.join(DEFAULT_ARTIFACTS_DIR, "@openzeppelin"));
  errorInterface = new Interface([...fragments.values()]);
  return errorInterface;
}

/** The revert data carried by an ethers error, wherever ethers put it. */
function revertData(error: unknown): string | undefined {
  const candidates: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const record = current as { data?: unknown; info?: { error?: { data?: unknown } }; error?: unknown };
    candidates.push(record.data, record.info?.error?.data);
    current = record.error;
  }
  for (const candidate of candidates) {
    if (typeof candidate === "string" && candidate.startsWith("0x")) return candidate;
    if (candidate && typeof candidate === "object" && typeof (candidate as { data?: unknown }).data === "string") {
      return (candidate as { data: string }).data;
    }
  }
  return undefined;
}

/**
 * Decodes the revert reason of a failed call or transaction with the errors of all our compiled
 * contracts (the error may come from a contract other than the one called). Undefined when the
 * error carries no revert data (e.g. a network failure).
 */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = revertData(error);
  if (!data || data.length < 10) return undefined;
  const coder = AbiCoder.defaultAbiCoder();
  const selector = data.slice(0, 10);
  if (selector === "0x08c379a0") return { name: "Error", args: [...coder.decode(["string"], dataSlice(data, 4))] };
  if (selector === "0x4e487b71") return { name: "Panic", args: [...coder.decode(["uint256"], dataSlice(data, 4))] };
  const parsed = allErrors().parseError(data);
  return parsed ? { name: parsed.name, args: [...parsed.args] } : { name: `unknown error ${selector}`, args: [] };
}

/**
 * Awaits `action` and checks that it reverted with the custom error `errorName` (decoded with the
 * ABIs of all our contracts), optionally with exactly these arguments (addresses compare
 * case-insensitively, numbers as bigints). Returns the decoded error for further checks.
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<DecodedRevert> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected a revert with ${errorName}, but the call succeeded`);
  const decoded = decodeRevert(caught);
  if (!decoded) {
    throw new Error(`expected a revert with ${errorName}, got: ${(caught as Error).message ?? String(caught)}`);
  }
  const normalise = (value: unknown): string =>
    typeof value === "string" ? value.toLowerCase() : typeof value === "bigint" ? value.toString() : String(value);
  const shown = (values: readonly unknown[]): string => values.map(normalise).join(", ");
  if (decoded.name !== errorName) {
    throw new Error(`expected a revert with ${errorName}, got ${decoded.name}(${shown(decoded.args)})`);
  }
  if (args) {
    const got = decoded.args.map(normalise);
    const want = args.map(normalise);
    if (got.length !== want.length || got.some((value, i) => value !== want[i])) {
      throw new Error(`expected ${errorName}(${shown(args)}), got ${errorName}(${shown(decoded.args)})`);
    }
  }
  return decoded;
}

/**
 * The holdings the Payout and Voting contract tests start from: an unrestricted SecurityToken and
 * a checkpoint at which the issuer (treasury) holds 400, alice 100, bob 200 and carol 300; after it,
 * alice sends 50 to dave (a new holder) and carol sends everything to bob.
 */
export async function tokenWithRecordDate(
  chain: TestChain,
  [alice, bob, carol, dave]: readonly TestSigner[],
): Promise<{ token: Contract; checkpointId: bigint }> {
  const unrestricted = await chain.deploy("UnrestrictedTransferAgent");
  const token = await chain.deploy("SecurityToken", ["Moo Corp", "MOO", "https://example.com"]);
  await mined(token.setTransferVerifier(await unrestricted.getAddress()));
  await mined(token.issueTokens(1000n));
  await mined(token.batchTransfer([alice.address, bob.address, carol.address], [100n, 200n, 300n]));
  await mined(token.checkpoint());
  const checkpointId = (await token.currentCheckpointId()) as bigint;
  await mined(as(token, alice).transfer(dave.address, 50n));
  await mined(as(token, carol).transfer(bob.address, 300n));
  return { token, checkpointId };
}
