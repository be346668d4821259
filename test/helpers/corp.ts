import { Contract, HDNodeWallet, Mnemonic, type JsonRpcProvider } from "ethers";
import { DEVELOPMENT_MNEMONIC } from "../../src/chain/local-node";
import fs from "node:fs";
import path from "node:path";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { formatTokenAmount } from "../../src/input/amounts";
import { expect } from "vitest";
import type { StoResult } from "./cli";
import type { E2eWorld } from "./e2e";

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
 * Pays shares from the issuing account (dev account #0) to holders with the real
 * `distribute-multiple` (one batchTransfer), then broadcasts them.
 */
export async function distribute(world: E2eWorld, token: string, receivers: string[], amounts: bigint[]): Promise<void> {
  const rows = receivers.map((receiver, index) => `d${index + 1},holder${index + 1}@example.com,Holder ${index + 1},${receiver},${formatTokenAmount(amounts[index], 18)}`);
  const file = path.join(world.dir, `distribution-${Date.now()}.csv`);
  fs.writeFileSync(file, ["external_id,email,name,address,amount", ...rows].join("\n") + "\n");
  await world.ok(["distribute-multiple", `--csv-input=${file}`, `--address=${token}`, `--batch-size=${receivers.length}`]);
  await world.ok(["tx-broadcast"]);
}

/** The address printed after `label` ("Payout address will be 0x…"). */
export function addressAfter(label: string, stdout: string): string {
  const match = new RegExp(`${label} (0x[0-9a-fA-F]{40})`).exec(stdout);
  if (!match) throw new Error(`no "${label}" address in: ${stdout}`);
  return match[1];
}

export const units = (whole: bigint | number): bigint => BigInt(whole) * 10n ** 18n;

/**
 * A refusal: the exit code, and the error line (exactly this text, or matching this pattern) as the
 * only error line on stderr.
 */
export function expectRefused(result: StoResult, code: number, message: string | RegExp): void {
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
  expect({ code: result.code, errors: errors.length }, result.stderr).toEqual({ code, errors: 1 });
  if (typeof message === "string") expect(errors[0]).toBe(`error: ${message}`);
  else expect(errors[0].slice("error: ".length)).toMatch(message);
}
