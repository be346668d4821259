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
