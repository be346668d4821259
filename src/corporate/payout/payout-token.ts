import { AbiCoder, getAddress } from "ethers";
import { StoError } from "../../errors";
import { parseAddress } from "../../input/address";
import { checkRememberedDeployment, contractAt, erc20Info, view, type ReadEnvironment } from "../../token/onchain";
import { ledgerOf, type PreparedTransaction } from "../../tx/ledger";
import { InputError } from "../../input/fields";

/**
 * The payout currency of `payout-deploy`: `--payout-token-address`, or the latest contract named
 * `--payout-token-name` deployed from this database (e.g. by deploy-crowdsale-token), as the
 * original tool did. When both are given they must agree: the name must be the token's on-chain
 * name() or the contract name of its deployment in this database.
 */
export async function resolvePayoutToken(env: ReadEnvironment, addressOption?: string, nameOption?: string): Promise<string> {
  const name = nameOption?.trim() || undefined;
  if (addressOption !== undefined) {
    const address = parseAddress(addressOption, "payoutTokenAddress");
    const deployedHere = (await ledgerOf(env.db).deploymentsAt(env.network, address)).at(-1);
    const onChain = (await env.provider.getCode(address)) !== "0x";
    if (!onChain && (!deployedHere || deployedHere.status === "failed")) {
      throw new InputError("payoutTokenAddress", `there is no contract at ${address} on ${env.network}`);
    }
    if (name !== undefined) {
      const info = onChain ? await erc20Info(env, address) : undefined;
      if (deployedHere?.contractName !== name && info?.name !== name) {
        throw new InputError(
          "payoutTokenName",
          (field) =>
            `${field("payoutTokenName")} "${name}" does not match ${field("payoutTokenAddress")} ${address} (its name is "${info?.name ?? deployedHere?.contractName ?? "unknown"}"); give only the address, or the matching name`,
        );
      }
    }
    return address;
  }
  if (name !== undefined) {
    const deployment = await ledgerOf(env.db).latestDeployment(env.network, name);
    if (!deployment?.contractAddress) {
      throw new InputError(
        "payoutTokenName",
        (field) =>
          `${field("payoutTokenName")}: no ${name} contract was deployed from ${env.db.name} on ${env.network}; give its ${field("payoutTokenAddress")} (or, for testing, deploy one with "sto deploy-crowdsale-token")`,
      );
    }
    await checkRememberedDeployment(env, deployment, `the ${name} contract`);
    return deployment.contractAddress;
  }
  throw new InputError(
    "payoutTokenAddress",
    (field) => `give the payout currency with ${field("payoutTokenAddress")} (or ${field("payoutTokenName")} for a token deployed from this database)`,
  );
}

/** The Payout contract the payout commands work on: `--payout-address`, or the latest deployed from this database. */
export async function resolvePayoutAddress(env: ReadEnvironment, option?: string): Promise<string> {
  if (option !== undefined) return parseAddress(option, "payoutAddress");
  const deployment = await ledgerOf(env.db).latestDeployment(env.network, "Payout");
  if (!deployment?.contractAddress) {
    throw new InputError(
      "payoutAddress",
      (field) => `no Payout contract deployed from ${env.db.name} on ${env.network}: deploy one with "sto payout-deploy" (or give ${field("payoutAddress")})`,
    );
  }
  await checkRememberedDeployment(env, deployment, "the Payout contract");
  return deployment.contractAddress;
}

/** The deployment row of this database for the contract `name` at `address`, if we deployed it. */
export async function deploymentOf(env: Pick<ReadEnvironment, "db" | "network">, name: string, address: string): Promise<PreparedTransaction | undefined> {
  return (await ledgerOf(env.db).deploymentsAt(env.network, address)).filter((row) => row.contractName === name).at(-1);
}

/** The constructor arguments of a deployment we prepared, decoded with the contract's ABI. */
export function decodeConstructorArguments(env: Pick<ReadEnvironment, "artifacts">, row: PreparedTransaction): unknown[] {
  if (!row.contractName || row.constructorArguments === null) throw new StoError(`transaction ${row.id} is not a deployment with recorded arguments`);
  const iface = env.artifacts.interfaceOf(row.contractName);
  return [...AbiCoder.defaultAbiCoder().decode(iface.deploy.inputs, `0x${row.constructorArguments}`)];
}

/** The payout currency of a Payout contract: from its deployment in this database, or read on chain. */
export async function payoutCurrency(env: ReadEnvironment, payoutAddress: string, deployment: PreparedTransaction | undefined): Promise<string> {
  if (deployment) return getAddress(decodeConstructorArguments(env, deployment)[2] as string);
  return getAddress(await view<string>(contractAt(env, "Payout", payoutAddress), "payoutToken"));
}
