/**
 * Fault injection for the crash tests: with STO_FAULT_INJECTION=<point>[:<count>] in the
 * environment, the process kills itself with SIGKILL the <count>-th time (default first) it
 * reaches <point>. Points: after-sign (write-ahead committed, nothing sent), after-send (sent,
 * status not yet recorded), and the same two for tx-bump and tx-cancel (after-bump-sign,
 * after-bump-send). Unset in normal use, when this costs one lookup per point.
 */
const setting = process.env.STO_FAULT_INJECTION;
const [faultPoint, faultCount] = setting ? setting.split(":") : [undefined, undefined];
let reached = 0;

export type FaultPoint = "after-sign" | "after-send" | "after-bump-sign" | "after-bump-send";

export function faultPointReached(point: FaultPoint): void {
  if (faultPoint !== point) return;
  reached += 1;
  if (reached >= Number(faultCount ?? "1")) process.kill(process.pid, "SIGKILL");
}

/**
 * A meeting point for the concurrency tests: with STO_TEST_BARRIER=<point>:<folder>:<count>, the
 * first time the process reaches <point> it leaves a file in <folder> and waits until <count>
 * processes have (at most a minute), so that the test makes them overlap instead of hoping they do.
 * Points: before-allocate (built and estimated, about to take the account's write lock),
 * before-sign-commit (tx-broadcast: a chunk signed in memory, about to record it write-ahead),
 * before-version-commit (tx-bump, tx-cancel: the new versions signed, about to record them).
 */
const barrier = process.env.STO_TEST_BARRIER;
let barrierPassed = false;

export type BarrierPoint = "before-allocate" | "before-sign-commit" | "before-version-commit";

export async function barrierReached(point: BarrierPoint): Promise<void> {
  if (!barrier || barrierPassed) return;
  const [name, folder, count] = barrier.split(":");
  if (name !== point) return;
  barrierPassed = true;
  const fs = await import("node:fs");
  const path = await import("node:path");
  fs.writeFileSync(path.join(folder, String(process.pid)), "");
  const deadline = Date.now() + 60_000;
  while (fs.readdirSync(folder).length < Number(count)) {
    if (Date.now() > deadline) throw new Error(`STO_TEST_BARRIER: ${count} processes did not reach ${point} within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
