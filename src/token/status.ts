import { Contract, ZeroHash } from "ethers";
import type { JsonRpcProvider } from "ethers";
import type { ContractArtifacts } from "../contracts/artifacts";
import type { StoDatabase } from "../db/database";
import { formatTokenAmount } from "../input/amounts";
import { ledgerOf } from "../tx/ledger";
import { InputError } from "../input/fields";

export interface TokenStatus {
  address: string;
  name: string;
  symbol: string;
  decimals: number;
  totalSupply: bigint;
  totalSupplyText: string;
  /** The account that deployed the token (from the audit database), if known. */
  owner?: string;
  /** Whether `owner` still holds the admin role. */
  ownerIsAdmin?: boolean;
  transferVerifier?: string;
  url?: string;
  currentCheckpointId?: bigint;
  announcementCount?: bigint;
  /** False for a plain ERC-20 that is not one of our security tokens. */
  isSecurityToken: boolean;
}

/** Reads a token's state from the chain; works for any ERC-20, with extras for our SecurityToken. */
export async function readTokenStatus(
  provider: JsonRpcProvider,
  artifacts: ContractArtifacts,
  db: StoDatabase,
  network: string,
  address: string,
): Promise<TokenStatus> {
  if ((await provider.getCode(address)) === "0x") {
    throw new InputError("address", (field) => `${field("address")} ${address}: no contract there on ${network} (not mined yet? run sto tx-update)`);
  }
  const token = new Contract(address, artifacts.interfaceOf("SecurityToken"), provider);
  const read = async <T>(method: string, ...args: unknown[]): Promise<T | undefined> => {
    try {
      return (await token.getFunction(method)(...args)) as T;
    } catch {
      return undefined;
    }
  };
  const [name, symbol, decimals, totalSupply] = await Promise.all([
    read<string>("name"),
    read<string>("symbol"),
    read<bigint>("decimals"),
    read<bigint>("totalSupply"),
  ]);
  if (totalSupply === undefined || decimals === undefined) {
    throw new InputError("address", (field) => `${field("address")} ${address}: the contract there is not an ERC-20 token`);
  }
  const transferVerifier = await read<string>("transferVerifier");
  const owner = (await ledgerOf(db).deploymentsAt(network, address))[0]?.fromAddress;
  return {
    address,
    name: name ?? "",
    symbol: symbol ?? "",
    decimals: Number(decimals),
    totalSupply,
    totalSupplyText: formatTokenAmount(totalSupply, Number(decimals)),
    owner,
    ownerIsAdmin: owner ? await read<boolean>("hasRole", ZeroHash, owner) : undefined,
    transferVerifier,
    url: await read<string>("url"),
    currentCheckpointId: await read<bigint>("currentCheckpointId"),
    announcementCount: await read<bigint>("announcementCount"),
    isSecurityToken: transferVerifier !== undefined,
  };
}
