import type { FieldNamer, FieldText } from "../errors";
import type { NodeClient } from "../chain/rpc";
import { toBlockTag } from "../chain/rpc";
import type { StoDatabase } from "../db/database";
import { ledgerOf, type PreparedTransaction } from "./ledger";

/** One thing the database and the node disagree about, with the command that resolves it. */
export interface Disagreement {
  kind: "chain-id" | "genesis" | "nonce-behind" | "nonce-ahead" | "missing-code" | "unknown-block" | "unknown-transaction";
  message: string;
  /** What to run (or do) about it. */
  /** Names settings by their property (databaseFile); the CLI renders them as flags. */
  resolve: FieldText;
}

export interface DiagnoseRequest {
  db: StoDatabase;
  node: NodeClient;
  network: string;
  chainId: number;
  /** The node's block 0 hash; null when it does not tell. */
  genesisHash: string | null;
  /** The broadcasting account. */
  address: string;
  networkNonce: number;
  pendingNonce: number;
  databaseNonce: number | undefined;
}

/** Rows of the ledger diagnose compares with the node at most: the latest ones. */
const CHECKED_ROWS = 200;
/** Findings of one kind listed one by one; the rest are counted. */
const LISTED = 10;

const FORGET = (name: FieldNamer) => `sto db-forget-network (archives this network's records), or use another ${name("databaseFile")} for this chain`;

/**
 * Everything diagnose can see the database and the node disagree about: the chain (chain id, block
 * 0), the account's nonces, contracts the database deployed that have no code, mined transactions
 * whose block the node does not have, sent transactions the node does not know. Reads only.
 */
export async function findDisagreements(request: DiagnoseRequest): Promise<Disagreement[]> {
  const { db, node, network } = request;
  const found: Disagreement[] = [];
  const recorded = await db.sql.get<{ chainId: number; genesisHash: string | null }>(
    'SELECT chain_id AS "chainId", genesis_hash AS "genesisHash" FROM networks WHERE name = ?',
    [network],
  );
  if (recorded && recorded.chainId !== request.chainId) {
    found.push({
      kind: "chain-id",
      message: `the database recorded network ${network} on chain id ${recorded.chainId}, the node is on chain id ${request.chainId}`,
      resolve: (name) => `check ${name("network")} and ${name("ethereumNodeUrl")}, or use another ${name("databaseFile")}`,
    });
  }
  const otherChain = recorded?.genesisHash != null && request.genesisHash !== null && recorded.genesisHash !== request.genesisHash;
  if (otherChain) {
    found.push({
      kind: "genesis",
      message: `the database recorded network ${network} on a chain whose block 0 is ${recorded?.genesisHash}, the node's block 0 is ${request.genesisHash}: another chain with the same chain id (a restarted local chain?)`,
      resolve: FORGET,
    });
  }

  const ledger = ledgerOf(db);
  const mined = await ledger.minedTransactions(network, CHECKED_ROWS);
  const unfinished = await ledger.unfinishedTransactions(network, request.address);
  const { databaseNonce, pendingNonce, networkNonce } = request;
  if (databaseNonce !== undefined && pendingNonce > databaseNonce) {
    found.push({
      kind: "nonce-behind",
      message: `the node's next nonce for ${request.address} is ${pendingNonce}, the database would use ${databaseNonce}: transactions were sent from this account outside this database`,
      resolve: unfinished.length === 0 ? "sto tx-restart-nonce" : "sto tx-update, then sto tx-restart-nonce once no transaction of this account is unfinished",
    });
  }
  if (databaseNonce !== undefined && databaseNonce > pendingNonce) {
    const minedAhead = mined.filter((row) => sameAddress(row.fromAddress, request.address) && row.nonce >= networkNonce && row.status !== "mining");
    if (minedAhead.length > 0) {
      found.push({
        kind: "nonce-ahead",
        message: `the database recorded ${minedAhead.length} transaction(s) of ${request.address} with nonce ${networkNonce} or above as mined (database next nonce ${databaseNonce}), but the node's nonce is ${networkNonce}: the node does not have them`,
        resolve: otherChain ? FORGET : (name) => `${FORGET(name)}; if the node is still syncing, wait for it`,
      });
    } else {
      found.push({
        kind: "nonce-ahead",
        message: `the database's next nonce for ${request.address} is ${databaseNonce}, the node's is ${pendingNonce}: ${unfinished.length} transaction(s) prepared here are not on the node yet`,
        resolve: "sto tx-broadcast (sends or resends them), then sto tx-update",
      });
    }
  }

  const deployments = mined.filter((row) => row.isDeployment && row.status === "success" && row.contractAddress);
  const missing: PreparedTransaction[] = [];
  for (const row of deployments) {
    const code = await node.call<string>("eth_getCode", [row.contractAddress, "latest"]);
    if (code === "0x" || code === "") missing.push(row);
  }
  list(found, missing, (row) => ({
    kind: "missing-code",
    message: `the database deployed ${row.contractName ?? "a contract"} at ${row.contractAddress} (nonce ${row.nonce}, status ${row.status}) but there is no code there`,
    resolve: FORGET,
  }));

  const unknownBlocks: { row: PreparedTransaction; nodeHash: string | null }[] = [];
  const blocks = new Map<number, string | null>();
  for (const row of mined) {
    const number = row.blockNumber as number;
    if (!blocks.has(number)) {
      const block = await node.call<{ hash?: string } | null>("eth_getBlockByNumber", [toBlockTag(number), false]);
      blocks.set(number, typeof block?.hash === "string" ? block.hash.toLowerCase() : null);
    }
    const nodeHash = blocks.get(number) ?? null;
    if (nodeHash !== (row.blockHash as string).toLowerCase()) unknownBlocks.push({ row, nodeHash });
  }
  list(found, unknownBlocks, ({ row, nodeHash }) => ({
    kind: "unknown-block",
    message: `transaction nonce ${row.nonce} (${row.txHash}) is recorded as ${row.status} in block ${row.blockNumber} ${row.blockHash}, but the node's block ${row.blockNumber} is ${nodeHash ?? "missing"}`,
    resolve: row.status === "mining" ? "sto tx-update (re-reads the receipt)" : otherChain ? FORGET : (name) => `sto tx-update if the chain was reorganised; otherwise ${FORGET(name)}`,
  }));

  const sent = unfinished.filter((row) => row.txHash && (row.status === "broadcasted" || row.status === "dropped"));
  const unknown: PreparedTransaction[] = [];
  for (const row of sent.slice(0, CHECKED_ROWS)) {
    if ((await node.call<unknown>("eth_getTransactionByHash", [row.txHash])) === null) unknown.push(row);
  }
  list(found, unknown, (row) => ({
    kind: "unknown-transaction",
    message: `transaction nonce ${row.nonce} (${row.txHash}) is recorded as ${row.status}, but the node does not know it`,
    resolve: "sto tx-broadcast (resends the recorded signed transaction)",
  }));
  return found;
}

/** Adds one finding per item, the first LISTED of them, and one that counts the rest. */
function list<T>(found: Disagreement[], items: T[], describe: (item: T) => Disagreement): void {
  for (const item of items.slice(0, LISTED)) found.push(describe(item));
  if (items.length > LISTED) {
    const last = describe(items[LISTED]);
    found.push({ kind: last.kind, message: `… and ${items.length - LISTED} more like the above`, resolve: last.resolve });
  }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
