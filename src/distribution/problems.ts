import { InputError, propertyNames, renderFieldText, type FieldNamer, type FieldText } from "../input/fields";

/** The columns of a distribution CSV file, in the order of the example file. */
export const DISTRIBUTION_COLUMNS = ["external_id", "email", "name", "address", "amount"] as const;
/** Columns a file may have: a row's lock-up release time (blank = no lock-up). */
export const OPTIONAL_DISTRIBUTION_COLUMNS = ["locked_until"] as const;
export type DistributionField = (typeof DISTRIBUTION_COLUMNS)[number] | (typeof OPTIONAL_DISTRIBUTION_COLUMNS)[number];

/** Where the rows of a distribution come from: a CSV file, or one row given field by field (distribute-single). */
export type DistributionOrigin = { kind: "csv"; file: string } | { kind: "options"; command: string };

/** What is wrong with one row (or, without `row`, with the whole input). */
export interface RowProblem {
  /** Row number as a spreadsheet shows it: the header is row 1. Absent for file-level problems. */
  row?: number;
  field?: DistributionField;
  value?: string;
  /** May name options (FieldText): the CLI names them by their flags. */
  reason: FieldText;
}

/** A column's field in a row given field by field (`DistributionInputRow`). */
const PROPERTY_OF_COLUMN: Record<DistributionField, string> = {
  external_id: "externalId",
  email: "email",
  name: "name",
  address: "address",
  amount: "amount",
  locked_until: "lockedUntil",
};

/** A value quoted for an error line: escaped (control characters, quotes) and shortened. */
export function quoteValue(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(shown);
}

/**
 * One line per problem: `file.csv:7: field amount "1.5x": not a positive decimal number`; for a row
 * given field by field, the field as `name` calls it (the CLI: `--amount "1.5x": ...`).
 */
export function formatProblem(origin: DistributionOrigin, problem: RowProblem, name: FieldNamer = propertyNames): string {
  const valuePart = problem.value !== undefined ? ` ${quoteValue(problem.value)}` : "";
  if (origin.kind === "options") {
    if (!problem.field) return `${origin.command}: ${renderFieldText(problem.reason, name)}`;
    return `${name(PROPERTY_OF_COLUMN[problem.field])}${valuePart}: ${renderFieldText(problem.reason, name)}`;
  }
  const where = problem.row !== undefined ? `${origin.file}:${problem.row}` : origin.file;
  if (!problem.field) return `${where}: ${renderFieldText(problem.reason, name)}`;
  return `${where}: field ${problem.field}${valuePart}: ${renderFieldText(problem.reason, name)}`;
}

/**
 * The input of a distribution was refused: nothing was prepared. One problem is reported on one
 * line; several get a summary line and then one line each, all of them, so that a spreadsheet can
 * be fixed in one pass.
 */
export class DistributionRejected extends InputError {
  readonly problems: readonly RowProblem[];

  constructor(origin: DistributionOrigin, problems: RowProblem[]) {
    const sorted = [...problems].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    const line = (problem: RowProblem) => (name: FieldNamer) => formatProblem(origin, problem, name);
    const field = sorted[0]?.field !== undefined ? PROPERTY_OF_COLUMN[sorted[0].field] : "rows";
    if (sorted.length === 1) super(field, (name) => `${line(sorted[0])(name)}; nothing prepared`);
    else super(field, () => summary(origin, sorted), { details: sorted.map(line) });
    this.name = "DistributionRejected";
    this.problems = sorted;
  }
}

function summary(origin: DistributionOrigin, problems: RowProblem[]): string {
  const rows = new Set(problems.filter((problem) => problem.row !== undefined).map((problem) => problem.row)).size;
  if (origin.kind === "options") return `${origin.command}: ${problems.length} invalid options, nothing prepared`;
  const fileLevel = problems.length - problems.filter((problem) => problem.row !== undefined).length;
  const parts = [];
  if (rows > 0) parts.push(`${rows} invalid ${rows === 1 ? "row" : "rows"}`);
  if (fileLevel > 0) parts.push(`${fileLevel} ${fileLevel === 1 ? "problem" : "problems"} with the whole file`);
  return `${origin.file}: ${parts.join(" and ")}, nothing prepared`;
}
