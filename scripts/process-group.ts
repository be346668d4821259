/**
 * Children of the mutation scripts, each in a process group of its own (Stryker, hardhat and vitest
 * start workers of their own). A SIGTERM, SIGINT or SIGHUP to the script is passed to every group it
 * started before it exits, so that no `hardhat compile`, Stryker or test worker outlives it.
 *
 * The scripts run under `node --require tsx/cjs` (package.json), not the `tsx` command: that wrapper
 * kills its child with SIGKILL when the child does not acknowledge a signal within 30 ms, which on a
 * loaded machine left this handler no time to run.
 */
import { spawn, type ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];
let handling = false;

/** Work to do after the children are signalled and before exiting (removing a sandbox). */
export function onSignalExit(cleanup: () => void): void {
  cleanups.push(cleanup);
  if (handling) return;
  handling = true;
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(signal, () => {
      for (const child of running) {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // The group has ended already.
        }
      }
      for (const work of cleanups) work();
      process.exit(128 + (signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15));
    });
  }
}

/**
 * Runs a command in a process group of its own; its output is collected (and returned) or passed
 * through to this process's.
 */
export function runGrouped(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; passThrough?: boolean },
): Promise<{ code: number; output: string }> {
  onSignalExit(() => undefined);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      detached: true,
      env: options.env ?? process.env,
      stdio: options.passThrough ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", (error) => {
      running.delete(child);
      reject(error);
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}
