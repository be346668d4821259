/**
 * How a caller names the fields of a request and the options of commands. Services name a field by
 * its property name (`checkpointId`), a global setting likewise (`databaseFile`), and an option of
 * another command as `command:property` (`tx-bump:gasLimit`); the CLI names them by their flags
 * (`--checkpoint-id`, `--database-file`, `--gas-limit`), so that a message says what the user types,
 * while a program calling the service reads the property it set.
 */
export type FieldNamer = (field: string) => string;

/** A service's own names: the property names. */
export const propertyNames: FieldNamer = (field) => field;

/** A message or warning that may name fields, rendered with the caller's names. */
export type FieldText = string | ((name: FieldNamer) => string);

export function renderFieldText(text: FieldText, name: FieldNamer = propertyNames): string {
  return typeof text === "string" ? text : text(name);
}

/**
 * An error caused by the user's input, configuration or environment rather than a bug.
 * The CLI prints its message as one line, without a stack trace, and exits with `exitCode`.
 * A message that names fields or settings is a function of the names (FieldText): `message` reads
 * with the property names, `renamed` gives the same error in the CLI's words.
 */
export class StoError extends Error {
  readonly exitCode: number;
  /**
   * Further problems of the same failure, one line each, printed after the message: e.g. every
   * bad row of a CSV file, so the user fixes them all in one go instead of one per run.
   */
  readonly details: readonly string[];
  private readonly text: FieldText;
  private readonly detailTexts: readonly FieldText[];

  constructor(message: FieldText, exitCode: number = ExitCode.UserError, details: readonly FieldText[] = []) {
    super(renderFieldText(message));
    this.name = "StoError";
    this.exitCode = exitCode;
    this.details = details.map((detail) => renderFieldText(detail));
    this.text = message;
    this.detailTexts = details;
  }

  /** The same error with fields and settings named by `name` (the CLI's flags). */
  renamed(name: FieldNamer): StoError {
    if (typeof this.text === "string" && this.detailTexts.every((detail) => typeof detail === "string")) return this;
    return new StoError(
      renderFieldText(this.text, name),
      this.exitCode,
      this.detailTexts.map((detail) => renderFieldText(detail, name)),
    );
  }
}

/** Process exit codes, documented in docs/commands.md. */
export const ExitCode = {
  Ok: 0,
  /** Bad input, bad configuration or a refused operation. */
  UserError: 1,
  /** Command line usage error (unknown option, missing required option). */
  Usage: 2,
  /** The node or another remote service failed; re-running resumes. */
  Network: 3,
  /** The database and the chain disagree (chain id mismatch, nonce drift); needs a human. */
  StateMismatch: 4,
  /** Stopped by Ctrl+C (SIGINT) with everything done so far recorded; re-running resumes. */
  Interrupted: 130,
  /** A bug: an unexpected exception. */
  Internal: 70,
} as const;
