import { AbiCoder, Interface, getAddress } from "ethers";
import { and, desc, eq } from "drizzle-orm";
import { preparedTransactions, type PreparedTransaction } from "../db/schema";
import { StoError } from "../errors";
import { parseAddress } from "../token/kyc";
import { contractAt, erc20Info, view, type ReadEnvironment } from "../token/onchain";
import { latestDeployment } from "../tx/queries";

/**
 * The payout currency of `payout-deploy`: `--payout-token-address`, or the latest contract named
 * `--payout-token-name` deployed from this database (e.g. by deploy-crowdsale-token), as the
 * original tool did. When both are given they must agree: the name must be the token's on-chain
 * name() or the contract name of its deployment in this database.
 */
export async function resolvePayoutToken(env: ReadEnvironment, addressOption?: string, nameOption?: string): Promise<string> {
  const name = nameOption?.trim() || undefined;
  if (addressOption !== undefined) {
    const address = parseAddress(addressOption, "--payout-token-address");
    const deployedHere = env.db.sqlite
      .prepare("SELECT contract_name, status FROM prepared_transactions WHERE network = ? AND contract_address = ? AND is_deployment = 1 ORDER BY id DESC LIMIT 1")
      .get(env.network, address) as { contract_name: string | null; status: string } | undefined;
    const onChain = (await env.provider.getCode(address)) !== "0x";
    if (!onChain && (!deployedHere || deployedHere.status === "failed")) {
      throw new StoError(`--payout-token-address: there is no contract at ${address} on ${env.network}`);
    }
    if (name !== undefined) {
      const info = onChain ? await erc20Info(env, address) : undefined;
      if (deployedHere?.contract_name !== name && info?.name !== name) {
        throw new StoError(
          `--payout-token-name "${name}" does not match --payout-token-address ${address} (its name is "${info?.name ?? deployedHere?.contract_name ?? "unknown"}"); give only the address, or the matching name`,
        );
      }
    }
    return address;
  }
  if (name !== undefined) {
    const deployment = latestDeployment(env.db, env.network, name);
    if (!deployment?.contractAddress) {
      throw new StoError(
        `--payout-token-name: no ${name} contract was deployed from ${env.db.file} on ${env.network}; give its --payout-token-address (or, for testing, deploy one with "sto deploy-crowdsale-token")`,
      );
    }
    return deployment.contractAddress;
  }
  throw new StoError("give the payout currency with --payout-token-address (or --payout-token-name for a token deployed from this database)");
}

/** The Payout contract the payout commands work on: `--payout-address`, or the latest deployed from this database. */
export function resolvePayoutAddress(env: Pick<ReadEnvironment, "db" | "network">, option?: string): string {
  if (option !== undefined) return parseAddress(option, "--payout-address");
  const deployment = latestDeployment(env.db, env.network, "Payout");
  if (!deployment?.contractAddress) {
    throw new StoError(`no Payout contract deployed from ${env.db.file} on ${env.network}: deploy one with "sto payout-deploy" (or give --payout-address)`);
  }
  return deployment.contractAddress;
}

/** The deployment row of this database for the contract `name` at `address`, if we deployed it. */
export function deploymentOf(env: Pick<ReadEnvironment, "db" | "network">, name: string, address: string): PreparedTransaction | undefined {
  return env.db.orm
    .select()
    .from(preparedTransactions)
    .where(
      and(
        eq(preparedTransactions.network, env.network),
        eq(preparedTransactions.contractAddress, address),
        eq(preparedTransactions.isDeployment, true),
        eq(preparedTransactions.contractName, name),
      ),
    )
    .orderBy(desc(preparedTransactions.id))
    .limit(1)
    .get();
}

/** The constructor arguments of a deployment we prepared, decoded with the contract's ABI. */
export function decodeConstructorArguments(env: Pick<ReadEnvironment, "artifacts">, row: PreparedTransaction): unknown[] {
  if (!row.contractName || row.constructorArguments === null) throw new StoError(`transaction ${row.id} is not a deployment with recorded arguments`);
  const iface = new Interface(env.artifacts.get(row.contractName).abi);
  return [...AbiCoder.defaultAbiCoder().decode(iface.deploy.inputs, `0x${row.constructorArguments}`)];
}

/** The payout currency of a Payout contract: from its deployment in this database, or read on chain. */
export async function payoutCurrency(env: ReadEnvironment, payoutAddress: string, deployment: PreparedTransaction | undefined): Promise<string> {
  if (deployment) return getAddress(decodeConstructorArguments(env, deployment)[2] as string);
  return getAddress(await view<string>(contractAt(env, "Payout", payoutAddress), "payoutToken"));
}
