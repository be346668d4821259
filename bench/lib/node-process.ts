/**
 * The local chain for the benchmarks: `sto node` in a process of its own, as a user runs it, so the
 * measured CLI, the benchmark driver and the node never share a JavaScript thread.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startAnvil } from "../../src/devtools/foundry";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STO_BIN = path.join(REPO_ROOT, "bin", "sto");

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** A raw JSON-RPC call (no ethers), for snapshots and reads. */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Peak resident memory of the node process so far, in MB (VmHWM). */
  peakRssMb(): number | undefined;
  /** CPU time (user + system) the node process has used so far, in ms; undefined where /proc is missing. */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

export async function startNodeProcess(accounts = 4): Promise<NodeProcess> {
  const child = spawn(process.execPath, [STO_BIN, "node", "--port", "0", "--accounts", String(accounts)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`sto node exited with code ${code}: ${output}`)));
  });
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message?: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`);
    return body.result as T;
  };
  return {
    url,
    child,
    rpc,
    peakRssMb: () => (child.pid === undefined ? undefined : peakRssOf(child.pid)),
    cpuMs: () => (child.pid === undefined ? undefined : cpuMsOf(child.pid)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT");
      }),
  };
}

/**
 * Foundry's anvil (a node nobody here wrote) as a NodeProcess, mining each transaction at once, with
 * the default 30,000,000 block gas limit: the scan workload runs on it beside `sto node`.
 */
export async function startAnvilProcess(): Promise<NodeProcess> {
  let child: ChildProcess | undefined;
  const anvil = await startAnvil({ args: ["--gas-limit", "30000000"], onSpawn: (spawned) => (child = spawned) });
  const spawned = child as ChildProcess;
  return {
    url: anvil.url,
    child: spawned,
    rpc: anvil.rpc,
    peakRssMb: () => (spawned.pid === undefined ? undefined : peakRssOf(spawned.pid)),
    cpuMs: () => (spawned.pid === undefined ? undefined : cpuMsOf(spawned.pid)),
    stop: () => anvil.close(),
  };
}

/** VmHWM of a running process, in MB; undefined when it has exited. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a running process, in ms (/proc/PID/stat, in clock ticks of 10 ms); undefined when unreadable. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // After the command name: state is field 3, utime field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** A node a workload starts and stops itself: anvil (a node nobody here wrote) or Hardhat's `sto node`. */
export interface MiningNode {
  url: string;
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Empties the node's pool (the transactions a measured run left unmined). */
  dropPool(): Promise<void>;
  /**
   * Sets the base fee of the next block. anvil's evm_revert keeps the fee progression of the
   * reverted blocks (foundry-rs/foundry#16241): after a run that filled blocks, the next one would
   * start at a base fee several times higher, above the caps of transactions signed before.
   */
  setNextBaseFee(wei: bigint): Promise<void>;
  stop(): Promise<void>;
}

/**
 * anvil or Hardhat, mining each transaction at once (no blockTimeS) or a block every blockTimeS
 * seconds. Hardhat's snapshots hold its pool (evm_revert restores it), so there is none to drop.
 */
export async function startMiningNode(kind: "anvil" | "hardhat", blockTimeS?: number): Promise<MiningNode> {
  if (kind === "anvil") {
    const anvil = await startAnvil(blockTimeS ? { blockTime: blockTimeS } : {});
    return {
      url: anvil.url,
      rpc: anvil.rpc,
      dropPool: async () => void (await anvil.rpc("anvil_dropAllTransactions")),
      setNextBaseFee: async (wei) => void (await anvil.rpc("anvil_setNextBlockBaseFeePerGas", [`0x${wei.toString(16)}`])),
      stop: () => anvil.close(),
    };
  }
  const node = await startNodeProcess();
  if (blockTimeS) {
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [blockTimeS * 1000]);
  }
  return {
    url: node.url,
    rpc: node.rpc,
    dropPool: async () => undefined,
    setNextBaseFee: async (wei) => void (await node.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${wei.toString(16)}`])),
    stop: () => node.stop(),
  };
}
