import { AbiCoder, Interface, getAddress } from "ethers";
import { StoError } from "../../errors";
import { parseAddress } from "../../token/kyc";
import { checkRememberedDeployment, contractAt, erc20Info, view, type ReadEnvironment } from "../../token/onchain";
import { ledgerOf, type PreparedTransaction } from "../../tx/ledger";

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
    const deployedHere = (await ledgerOf(env.db).deploymentsAt(env.network, address)).at(-1);
    const onChain = (await env.provider.getCode(address)) !== "0x";
    if (!onChain && (!deployedHere || deployedHere.status === "failed")) {
      throw new StoError(`--payout-token-address: there is no contract at ${address} on ${env.network}`);
    }
    if (name !== undefined) {
      const info = onChain ? await erc20Info(env, address) : undefined;
      if (deployedHere?.contractName !== name && info?.name !== name) {
        throw new StoError(
          `--payout-token-name "${name}" does not match --payout-token-address ${address} (its name is "${info?.name ?? deployedHere?.contractName ?? "unknown"}"); give only the address, or the matching name`,
        );
      }
    }
    return address;
  }
  if (name !== undefined) {
    const deployment = await ledgerOf(env.db).latestDeployment(env.network, name);
    if (!deployment?.contractAddress) {
      throw new StoError(
        `--payout-token-name: no ${name} contract was deployed from ${env.db.file} on ${env.network}; give its --payout-token-address (or, for testing, deploy one with "sto deploy-crowdsale-token")`,
      );
    }
    await checkRememberedDeployment(env, deployment, `--payout-token-name ${name}`);
    return deployment.contractAddress;
  }
  throw new StoError("give the payout currency with --payout-token-address (or --payout-token-name for a token deployed from this database)");
}

/** The Payout contract the payout commands work on: `--payout-address`, or the latest deployed from this database. */
export async function resolvePayoutAddress(env: ReadEnvironment, option?: string): Promise<string> {
  if (option !== undefined) return parseAddress(option, "--payout-address");
  const deployment = await ledgerOf(env.db).latestDeployment(env.network, "Payout");
  if (!deployment?.contractAddress) {
    throw new StoError(`no Payout contract deployed from ${env.db.file} on ${env.network}: deploy one with "sto payout-deploy" (or give --payout-address)`);
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
  const iface = new Interface(env.artifacts.get(row.contractName).abi);
  return [...AbiCoder.defaultAbiCoder().decode(iface.deploy.inputs, `0x${row.constructorArguments}`)];
}

/** The payout currency of a Payout contract: from its deployment in this database, or read on chain. */
export async function payoutCurrency(env: ReadEnvironment, payoutAddress: string, deployment: PreparedTransaction | undefined): Promise<string> {
  if (deployment) return getAddress(decodeConstructorArguments(env, deployment)[2] as string);
  return getAddress(await view<string>(contractAt(env, "Payout", payoutAddress), "payoutToken"));
}
