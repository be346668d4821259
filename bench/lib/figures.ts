/** One line per figure, with its target and PASS/FAIL; the run fails when any target is missed. */

export type Comparison = ">=" | "<=" | "<";

export interface Target {
  op: Comparison;
  bound: number;
}

export interface Figure {
  /** Stable identifier, e.g. "prepare.rows-per-s". */
  id: string;
  label: string;
  value: number;
  unit: string;
  /** Digits after the decimal point when printed. */
  digits?: number;
  target?: Target;
  /** Shown after the value: the runs behind a median, a baseline, a reason a target does not apply. */
  note?: string;
  /** The target holds whatever the size of the run (gas): judged in quick runs too. */
  sizeIndependent?: boolean;
}

export interface Outcome extends Figure {
  /** "(PASS)" and "(FAIL)": a target of the full sizes shown against a quick run, not judged. */
  status: "PASS" | "FAIL" | "(PASS)" | "(FAIL)" | "info";
}

export class Figures {
  readonly all: Outcome[] = [];

  /** quick: targets that depend on the size are shown but not judged (a tenth of the sizes). */
  constructor(private readonly quick = false) {}

  add(figure: Figure): Outcome {
    const judged = !this.quick || figure.sizeIndependent === true;
    const met = figure.target === undefined ? undefined : meets(figure.value, figure.target);
    const status = met === undefined ? "info" : judged ? (met ? "PASS" : "FAIL") : met ? "(PASS)" : "(FAIL)";
    const outcome: Outcome = { ...figure, status };
    this.all.push(outcome);
    console.log(formatLine(outcome));
    return outcome;
  }

  get failed(): Outcome[] {
    return this.all.filter((figure) => figure.status === "FAIL");
  }
}

export function meets(value: number, target: Target): boolean {
  if (target.op === ">=") return value >= target.bound;
  if (target.op === "<=") return value <= target.bound;
  return value < target.bound;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatLine(figure: Outcome): string {
  const op = figure.target ? { ">=": "≥", "<=": "≤", "<": "<" }[figure.target.op] : "";
  const value = `${formatNumber(figure.value, figure.digits)} ${figure.unit}`.trim();
  const target = figure.target ? `target ${op} ${formatNumber(figure.target.bound, figure.digits)} ${figure.unit}`.trim() : "";
  const status = figure.status === "info" ? "" : figure.status;
  return `${status.padEnd(6)}${figure.label}: ${value}${target ? `  (${target})` : ""}${figure.note ? `  [${figure.note}]` : ""}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** "3 runs: 1.2, 1.3, 1.5" for the note of a median. */
export function runsNote(values: readonly number[], digits = 0, unit = ""): string {
  if (values.length <= 1) return "1 run";
  return `median of ${values.length} runs: ${values.map((value) => formatNumber(value, digits)).join(", ")}${unit ? ` ${unit}` : ""}`;
}
