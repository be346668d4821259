import type { ChildProcess } from "node:child_process";

/** A signal to the child's process group if it leads one (spawned with detached: true), else to the child. */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
