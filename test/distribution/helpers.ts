import fs from "node:fs";
import path from "node:path";
import { Contract, getAddress } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DEPLOYER, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

export const FIXTURES = path.resolve(__dirname, "..", "fixtures", "distribution");
export const EXAMPLE_CSV = path.resolve(__dirname, "..", "..", "example-distribution.csv");

const artifacts = new ContractArtifacts();

/** Issues a token with the CLI (restricted: with a KYC contract and the deployer whitelisted) and mines it. */
export async function issueToken(world: E2eWorld, options: { restricted?: boolean; amount?: string } = {}): Promise<string> {
  const restricted = options.restricted ?? false;
  if (restricted) {
    await world.ok(["kyc-deploy"]);
    await world.ok(["kyc-manage", `--whitelist-address=${DEPLOYER}`]);
  }
  const issued = await world.ok([
    "issue",
    "--symbol=STO",
    "--name=Mikko's magic corp",
    "--url=https://tokenmarket.net",
    `--amount=${options.amount ?? "10000"}`,
    `--transfer-restriction=${restricted ? "restricted" : "unrestricted"}`,
  ]);
  await settle(world);
  return tokenAddressFrom(issued);
}

/** tx-broadcast then tx-update: on the automining local chain everything is final after this. */
export async function settle(world: E2eWorld): Promise<void> {
  await world.ok(["tx-broadcast"]);
  await world.ok(["tx-update"]);
}

/** How many transactions the world's database holds, on either engine. */
export async function countTransactions(world: E2eWorld): Promise<number> {
  return (await world.rows<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions"))[0].n;
}

export function transactionCount(world: E2eWorld): number {
  return fs.existsSync(world.databaseFile) ? world.query<{ n: number }>("SELECT count(*) AS n FROM prepared_transactions")[0].n : 0;
}

export function token(world: E2eWorld, address: string): Contract {
  return new Contract(address, artifacts.get("SecurityToken").abi, world.provider);
}

/** Balances of many holders, read concurrently in chunks (ethers batches the JSON-RPC calls). */
export async function balancesOf(world: E2eWorld, tokenAddress: string, holders: readonly string[]): Promise<bigint[]> {
  const contract = token(world, tokenAddress);
  const balances: bigint[] = [];
  for (let start = 0; start < holders.length; start += 200) {
    const chunk = holders.slice(start, start + 200);
    balances.push(...(await Promise.all(chunk.map((holder) => contract.getFunction("balanceOf")(holder) as Promise<bigint>))));
  }
  return balances;
}

/** Rows of a CSV without quoting (the example file), as objects by header name. */
export function readSimpleCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, "utf8").trim().split(/\r?\n/);
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((value, index) => [names[index], value])));
}

/** Random addresses that never held anything, checksummed. */
export function randomAddresses(count: number): string[] {
  return Array.from({ length: count }, () => getAddress(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("hex")}`));
}

/** Lines of stderr that start with "error:". */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("error:"));
}
