/**
 * Workload 2 on nodes that take batches (issue 19): `sto tx-broadcast` of 10,000 prepared transfers
 * against the raw sequential transport loop (one eth_sendRawTransaction at a time through the
 * provider's transport, each answer awaited: the least any sequential client can take), both from
 * the same chain state, on three nodes that accept a JSON-RPC batch of sends in nonce order:
 * Foundry's anvil mining each transaction at once, anvil with `--block-time 1`, and Hardhat's node
 * mining every second. Hardhat's node mining each transaction at once (the `broadcast` workload's
 * chain) cannot take batches of sends (docs/benchmarks.md): its ratio is reported there, without
 * the target.
 */
import path from "node:path";
import { median, runsNote, type Figures } from "../lib/figures";
import { startMiningNode, type MiningNode } from "../lib/node-process";
import { runSto } from "../lib/sto-cli";
import { bareLoop, copyDatabase, firstNonce, addressOf, issueBenchToken, removeDatabase, signedTransactions, writeDistributionCsv } from "./distribution";

export type BatchNodeName = "anvil" | "anvil-interval" | "hardhat-interval";

export const BATCH_NODES: readonly BatchNodeName[] = ["anvil", "anvil-interval", "hardhat-interval"];

/** The node the issue's target is judged on: interval-mined as a real network, and not ours. */
export const JUDGED_NODE: BatchNodeName = "anvil-interval";

const DESCRIPTION: Record<BatchNodeName, string> = {
  anvil: "anvil mining each transaction at once",
  "anvil-interval": "anvil --block-time 1",
  "hardhat-interval": "Hardhat, interval mining 1 s",
};

function startBenchNode(name: BatchNodeName): Promise<MiningNode> {
  return name === "hardhat-interval" ? startMiningNode("hardhat", 1) : startMiningNode("anvil", name === "anvil-interval" ? 1 : undefined);
}

export interface NodeBroadcastMeasure {
  node: BatchNodeName;
  ratio: number;
  /** Loop time ÷ tx-broadcast time of each pair. */
  ratios: number[];
  stoPerSecond: number;
  loopPerSecond: number;
}

/**
 * On a fresh node: a token issued and `transactions` one-transfer payments prepared with sto, then
 * `runs` pairs of (tx-broadcast, raw loop of the bytes it signed), each from a snapshot of the
 * same state and reverted after, the order alternating. Ratio: loop time ÷ tx-broadcast wall time
 * (process start included), the median of the pairs.
 */
export async function measureNodeBroadcast(name: BatchNodeName, dir: string, transactions: number, runs: number): Promise<NodeBroadcastMeasure> {
  const node = await startBenchNode(name);
  try {
    const template = path.join(dir, `nodes-${name}.sqlite`);
    removeDatabase(template);
    const base = ["--ethereum-node-url", node.url, "--database-file", template];
    const token = await issueBenchToken(node.url, template);
    await runSto([...base, "distribute-multiple", "--csv-input", writeDistributionCsv(dir, transactions, 29), "--address", token]);
    const first = firstNonce(template);
    const address = addressOf(template);

    const stoMs: number[] = [];
    const loopMs: number[] = [];
    let raws: string[] = [];
    /** Runs `measured` from a snapshot, checks the node took every transaction, and goes back. */
    const fromSnapshot = async (measured: () => Promise<{ ms: number; output?: string }>): Promise<number> => {
      const snapshot = await node.rpc<string>("evm_snapshot");
      const { baseFeePerGas } = await node.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", ["latest", false]);
      const { ms, output } = await measured();
      const pending = await nodeHasAll(node, address, first + transactions);
      if (pending !== first + transactions) throw new Error(`${name}: the node's pending nonce is ${pending}, expected ${first + transactions}${output ? `; tx-broadcast said:\n${output.slice(-4000)}` : ""}`);
      await node.dropPool();
      if (!(await node.rpc<boolean>("evm_revert", [snapshot]))) throw new Error(`${name}: evm_revert ${snapshot} failed`);
      // Each run starts from the base fee of the snapshot, as the transactions it replays were signed for.
      await node.setNextBaseFee(BigInt(baseFeePerGas));
      const back = Number(await node.rpc<string>("eth_getTransactionCount", [address, "pending"]));
      if (back !== first) throw new Error(`${name}: after evm_revert the pending nonce is ${back}, expected ${first}`);
      return ms;
    };
    const runStoBroadcast = async (run: number) => {
      const database = path.join(dir, `nodes-${name}-${run}.sqlite`);
      copyDatabase(template, database);
      stoMs.push(
        await fromSnapshot(async () => {
          const run = await runSto(["--ethereum-node-url", node.url, "--database-file", database, "tx-broadcast"]);
          return { ms: run.wallMs, output: run.stderr + run.stdout.slice(-4000) };
        }),
      );
      raws = signedTransactions(database);
      if (raws.length !== transactions) throw new Error(`${name}: tx-broadcast signed ${raws.length} transactions, expected ${transactions}`);
    };
    const runLoop = async () => {
      loopMs.push(await fromSnapshot(async () => ({ ms: await bareLoop(node.url, raws, true) })));
    };
    for (let run = 0; run < runs; run++) {
      if (run % 2 === 0) {
        await runStoBroadcast(run);
        await runLoop();
      } else {
        await runLoop();
        await runStoBroadcast(run);
      }
    }
    const ratios = stoMs.map((ms, index) => loopMs[index] / ms);
    return {
      node: name,
      ratio: median(ratios),
      ratios,
      stoPerSecond: median(stoMs.map((ms) => transactions / (ms / 1000))),
      loopPerSecond: median(loopMs.map((ms) => transactions / (ms / 1000))),
    };
  } finally {
    await node.stop();
  }
}

/**
 * The account's nonce once the node holds all `expected` of its transactions, or the last one seen
 * after a minute. Hardhat's "pending" nonce counts only the next block's worth of its pool, not the
 * whole pool, so with more than a block of transactions waiting it is read again as blocks mine them.
 */
async function nodeHasAll(node: MiningNode, address: string, expected: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pending = Number(await node.rpc<string>("eth_getTransactionCount", [address, "pending"]));
    if (pending === expected || Date.now() > deadline) return pending;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The figures of measureNodeBroadcast on each node; the target (≥ 1.5 ×) judged on JUDGED_NODE. */
export async function nodeBroadcastFigures(figures: Figures, dir: string, transactions: number, runs: number, nodes: readonly BatchNodeName[] = BATCH_NODES): Promise<NodeBroadcastMeasure[]> {
  const measures: NodeBroadcastMeasure[] = [];
  for (const name of nodes) {
    const measure = await measureNodeBroadcast(name, dir, transactions, runs);
    measures.push(measure);
    figures.add({
      id: `broadcast.transport.${name}`,
      label: `broadcast on ${DESCRIPTION[name]}: sto tx-broadcast of ${transactions.toLocaleString("en-US")} transactions (wall time, process start included), throughput relative to the raw sequential transport loop`,
      value: measure.ratio,
      unit: "×",
      digits: 2,
      ...(name === JUDGED_NODE ? { target: { op: ">=" as const, bound: 1.5 } } : {}),
      note: `${runsNote(measure.ratios, 2)}; sto ${Math.round(measure.stoPerSecond)} tx/s, loop ${Math.round(measure.loopPerSecond)} tx/s`,
    });
  }
  return measures;
}
