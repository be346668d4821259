import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { killTree } from "./process-tree";

/**
 * Foundry's anvil and cast for the tests (test/helpers/foundry.ts) and the benchmarks
 * (bench/workloads/delivery.ts), from the npm registry (@foundry-rs/anvil, @foundry-rs/cast, which
 * install the binary of this platform as an optional dependency): a node and a client nobody here
 * wrote. The binary is started directly, not through the packages' node wrapper, so that killing
 * it kills the node.
 */
const PLATFORMS: Record<string, string> = {
  "linux-x64": "linux-amd64",
  "linux-arm64": "linux-arm64",
  "darwin-x64": "darwin-amd64",
  "darwin-arm64": "darwin-arm64",
  "win32-x64": "win32-amd64",
};

export function foundryBinary(tool: "anvil" | "cast"): string {
  const platform = PLATFORMS[`${process.platform}-${process.arch}`];
  if (!platform) throw new Error(`Foundry publishes no ${tool} binary for ${process.platform}-${process.arch}`);
  const require = createRequire(__filename);
  const manifest = require.resolve(`@foundry-rs/${tool}-${platform}/package.json`);
  return path.join(path.dirname(manifest), "bin", process.platform === "win32" ? `${tool}.exe` : tool);
}

export interface Anvil {
  url: string;
  /** Calls a JSON-RPC method of the node (anvil_reorg, evm_mine, …) and returns its result. */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  close(): Promise<void>;
}

export interface AnvilOptions {
  /** Seconds between blocks (interval mining); without it every transaction is mined at once. */
  blockTime?: number;
  /** More command-line options, e.g. ["--gas-limit", "3000000"]. */
  args?: string[];
  /** Called with the node's process as soon as it is spawned (the tests kill it when a test file ends). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Starts anvil on a free loopback port and waits until it answers. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const args = ["--host", "127.0.0.1", "--port", "0"];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  if (options.args) args.push(...options.args);
  const child: ChildProcess = spawn(foundryBinary("anvil"), args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  options.onSpawn?.(child);
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`anvil did not start within 30 s: ${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with ${code}: ${output}`));
    });
  });
  // Keep reading so that a full pipe never blocks the node.
  child.stdout?.resume();
  child.stderr?.resume();
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
    const answer = (await response.json()) as { result?: T; error?: { message: string } };
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result as T;
  };
  return {
    url,
    rpc,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      killTree(child, "SIGTERM");
      await exited;
    },
  };
}

/** Runs Foundry's cast with these arguments and returns its trimmed standard output; throws on failure. */
export function cast(args: string[]): string {
  const result = spawnSync(foundryBinary("cast"), args, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`cast ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim();
}
