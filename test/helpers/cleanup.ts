import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { killTree } from "../../src/devtools/process-tree";

/**
 * What a test file leaves behind is removed when the file ends (test/setup.ts runs cleanUpTestFile in
 * afterAll), also when a test failed or timed out before reaching its own cleanup.
 */
const paths = new Set<string>();
const children = new Set<ChildProcess>();
const callbacks: (() => Promise<void>)[] = [];

/** Runs this when the test file ends (after its children are gone; e.g. dropping its PostgreSQL database). */
export function onFileEnd(callback: () => Promise<void>): void {
  callbacks.push(callback);
}

/** Removes this file or folder when the test file ends. */
export function removeAfterFile(target: string): string {
  paths.add(target);
  return target;
}

/** Kills this child (with its process group, when spawned detached) if it still runs when the test file ends. */
export function killAfterFile<T extends ChildProcess>(child: T): T {
  if (child.exitCode === null && child.signalCode === null) {
    children.add(child);
    child.once("exit", () => children.delete(child));
  }
  return child;
}


export async function cleanUpTestFile(): Promise<void> {
  const exits = [...children].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        killTree(child);
      }),
  );
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  children.clear();
  for (const callback of callbacks.splice(0)) await callback();
  for (const target of paths) fs.rmSync(target, { recursive: true, force: true });
  paths.clear();
}
