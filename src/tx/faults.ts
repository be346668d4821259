/**
 * Fault injection for the crash tests: with STO_FAULT_INJECTION=<point>[:<count>] in the
 * environment, the process kills itself with SIGKILL the <count>-th time (default first) it
 * reaches <point>. Points: after-sign (write-ahead committed, nothing sent), after-send (sent,
 * status not yet recorded). Unset in normal use, when this costs one lookup per point.
 */
const setting = process.env.STO_FAULT_INJECTION;
const [faultPoint, faultCount] = setting ? setting.split(":") : [undefined, undefined];
let reached = 0;

export function faultPointReached(point: "after-sign" | "after-send"): void {
  if (faultPoint !== point) return;
  reached += 1;
  if (reached >= Number(faultCount ?? "1")) process.kill(process.pid, "SIGKILL");
}
