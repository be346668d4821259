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
      const groups = [...running].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
      for (const pid of groups) signalGroup(pid, signal);
      // The cleanups run once every process of the groups has ended (a test runner still writing in
      // a sandbox would otherwise leave files behind); whatever ignores the signal gets SIGKILL.
      const deadline = Date.now() + GRACE_MS;
      const waitThenExit = () => {
        const alive = groups.filter(groupAlive);
        if (alive.length > 0 && Date.now() < deadline) {
          setTimeout(waitThenExit, 200);
          return;
        }
        for (const pid of alive) signalGroup(pid, "SIGKILL");
        for (const work of cleanups) work();
        process.exit(128 + (signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15));
      };
      waitThenExit();
    });
  }
}

/** How long the children's groups get to end after the signal before they are killed. */
const GRACE_MS = 10_000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has ended already.
  }
}

/** Whether any process of the group `pid` is alive (signal 0 checks without signalling). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
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
