/**
 * Builds tokens with many Transfer events quickly, for the scan and cap table workloads: our
 * SecurityToken deployed by a development account that sto's audit database never uses (so the
 * nonces sto allocates for account #0 stay its own), and `batchTransfer`s of hundreds of receivers
 * each (one Transfer event per receiver). Transactions are signed here with fixed gas and fees (no
 * estimation, which would execute each 12M-gas batch several times) and sent with raw JSON-RPC.
 */
import { ContractFactory, HDNodeWallet, Mnemonic, Transaction, ZeroAddress, getCreateAddress, type TransactionLike } from "ethers";
import { DEVELOPMENT_MNEMONIC, LOCAL_CHAIN_ID } from "../../src/chain/local-node";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DistributionCalldata } from "../../src/distribution/calldata";
import { Interface } from "ethers";
import type { NodeProcess } from "./node-process";
import { seededRandom } from "../../src/devtools/random";

/** Receivers per batch: about 12.5M gas, under the 15M target of a 30M block, so the base fee does not climb. */
const NEW_HOLDERS_PER_TX = 480;
const EXISTING_HOLDERS_PER_TX = 1440;

export interface BuiltToken {
  address: string;
  /** Block of the deployment. */
  createdAt: number;
  /** Last block with a transfer of this token. */
  lastBlock: number;
  /** Transfer events, the issuance included. */
  events: number;
  holders: number;
  /** Blocks with Transfer events of this token and how many each. */
  blocks: { block: number; events: number }[];
}

/** A development account other than #0 (which the sto workloads use). */
export function builderWallet(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEVELOPMENT_MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

/** Deterministic pseudo-random addresses (mulberry32 over `seed`), lowercase. */
export function holderAddresses(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    let hex = "0x";
    for (let i = 0; i < 5; i++) hex += Math.floor(next() * 2 ** 32).toString(16).padStart(8, "0");
    return hex;
  });
}

export class TokenBuilder {
  private readonly artifacts = new ContractArtifacts();
  private readonly wallet: HDNodeWallet;
  private nonce: number | undefined;

  constructor(
    private readonly node: NodeProcess,
    accountIndex: number,
  ) {
    this.wallet = builderWallet(accountIndex);
  }

  private async send(to: string | null, data: string, gasLimit: bigint): Promise<number> {
    if (this.nonce === undefined) this.nonce = Number(await this.node.rpc<string>("eth_getTransactionCount", [this.wallet.address, "pending"]));
    const unsigned: TransactionLike = {
      type: 2,
      chainId: BigInt(LOCAL_CHAIN_ID),
      nonce: this.nonce,
      to,
      data,
      gasLimit,
      maxFeePerGas: 50_000_000_000n,
      maxPriorityFeePerGas: 1n,
      value: 0n,
    };
    const transaction = Transaction.from(unsigned);
    transaction.signature = this.wallet.signingKey.sign(transaction.unsignedHash);
    const hash = await this.node.rpc<string>("eth_sendRawTransaction", [transaction.serialized]);
    this.nonce += 1;
    // Automine: Hardhat has mined the transaction when the call returns; anvil may answer a moment
    // before its receipt is there.
    let receipt = await this.node.rpc<{ status: string; blockNumber: string } | null>("eth_getTransactionReceipt", [hash]);
    for (let attempt = 0; !receipt && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      receipt = await this.node.rpc<{ status: string; blockNumber: string } | null>("eth_getTransactionReceipt", [hash]);
    }
    if (!receipt || receipt.status !== "0x1") throw new Error(`token builder transaction ${hash} failed`);
    return Number(receipt.blockNumber);
  }

  /**
   * A SecurityToken whose issuer sends `events` transfers: first one to each of `holders` new
   * holders, then round-robin to existing ones. Each transfer is one Transfer event.
   */
  async build(events: number, holders: number, seed: number): Promise<BuiltToken> {
    const tokenArtifact = this.artifacts.get("SecurityToken");
    const agentArtifact = this.artifacts.get("UnrestrictedTransferAgent");
    const tokenFactory = new ContractFactory(tokenArtifact.abi, tokenArtifact.bytecode);
    const agentFactory = new ContractFactory(agentArtifact.abi, agentArtifact.bytecode);
    const iface = new Interface(tokenArtifact.abi);

    if (this.nonce === undefined) this.nonce = Number(await this.node.rpc<string>("eth_getTransactionCount", [this.wallet.address, "pending"]));
    const address = getCreateAddress({ from: this.wallet.address, nonce: this.nonce });
    // The zero address: the token creates its own SecurityTokenExtension, as the first token of a network does.
    const deployData = (await tokenFactory.getDeployTransaction(`Bench ${seed}`, `B${seed}`, "https://example.com", ZeroAddress)).data;
    const createdAt = await this.send(null, deployData, 12_000_000n);
    const agent = getCreateAddress({ from: this.wallet.address, nonce: this.nonce });
    await this.send(null, (await agentFactory.getDeployTransaction()).data, 1_000_000n);
    await this.send(address, iface.encodeFunctionData("setTransferVerifier", [agent]), 200_000n);
    // The issuance is a Transfer event from the zero address too.
    const issuedAt = await this.send(address, iface.encodeFunctionData("issueTokens", [10n ** 40n]), 200_000n);

    const encoder = new DistributionCalldata(iface);
    const receivers = holderAddresses(holders, seed);
    const blocks: { block: number; events: number }[] = [{ block: issuedAt, events: 1 }];
    let sent = 0;
    let lastBlock = createdAt;
    while (sent < events) {
      const fresh = sent < holders;
      const count = Math.min(fresh ? NEW_HOLDERS_PER_TX : EXISTING_HOLDERS_PER_TX, events - sent, fresh ? holders - sent : Infinity);
      const to = Array.from({ length: count }, (_, index) => receivers[(sent + index) % holders]);
      const values = to.map((_, index) => BigInt(1 + ((sent + index) % 997)) * 10n ** 15n);
      lastBlock = await this.send(address, encoder.batchTransfer(to, values), 14_000_000n);
      blocks.push({ block: lastBlock, events: count });
      sent += count;
    }
    return { address, createdAt, lastBlock, events: events + 1, holders, blocks };
  }
}
