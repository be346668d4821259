import { Contract, HDNodeWallet, Mnemonic, type JsonRpcProvider } from "ethers";
import { DEVELOPMENT_MNEMONIC } from "../../src/chain/local-node";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { openDatabase } from "../../src/db/database";
import { prepareTransactions } from "../../src/tx/prepare";
import { DEPLOYER, type E2eWorld } from "./e2e";

export const artifacts = new ContractArtifacts();

/** Hardhat's public development account `index` (0 is the CLI's default issuing account). */
export function devWallet(index: number, provider?: JsonRpcProvider): HDNodeWallet {
  const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEVELOPMENT_MNEMONIC), `m/44'/60'/0'/0/${index}`);
  return provider ? wallet.connect(provider) : wallet;
}

export function contract(world: E2eWorld, name: string, address: string): Contract {
  return new Contract(address, artifacts.get(name).abi, world.provider);
}

export async function balanceOf(world: E2eWorld, token: string, holder: string): Promise<bigint> {
  return (await contract(world, "SecurityToken", token).getFunction("balanceOf")(holder)) as bigint;
}

/**
 * Pays shares from the issuing account (dev account #0) to holders with one batchTransfer, prepared
 * through the same pipeline as the CLI's commands on the world's database (so nonces stay in the
 * database's hands), then broadcast with the CLI. Stands in for distribute-multiple.
 */
export async function distribute(world: E2eWorld, token: string, receivers: string[], amounts: bigint[]): Promise<void> {
  const db = openDatabase(world.databaseFile);
  try {
    await prepareTransactions(
      {
        db,
        provider: world.provider,
        network: "local",
        chainId: 31337,
        address: DEPLOYER,
        artifacts,
        autoRestartNonce: true,
      },
      (builder) => builder.call("SecurityToken", token, "batchTransfer", [receivers, amounts], `Distributing shares to ${receivers.length} holders`),
    );
  } finally {
    db.close();
  }
  await world.ok(["tx-broadcast"]);
}

/** The address printed after `label` ("Payout address will be 0x…"). */
export function addressAfter(label: string, stdout: string): string {
  const match = new RegExp(`${label} (0x[0-9a-fA-F]{40})`).exec(stdout);
  if (!match) throw new Error(`no "${label}" address in: ${stdout}`);
  return match[1];
}

export const units = (whole: bigint | number): bigint => BigInt(whole) * 10n ** 18n;
