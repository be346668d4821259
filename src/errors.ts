/**
 * An error caused by the user's input, configuration or environment rather than a bug.
 * The CLI prints its message as one line, without a stack trace, and exits with `exitCode`.
 */
export class StoError extends Error {
  readonly exitCode: number;
  /**
   * Further problems of the same failure, one line each, printed after the message: e.g. every
   * bad row of a CSV file, so the user fixes them all in one go instead of one per run.
   */
  readonly details: readonly string[];

  constructor(message: string, exitCode: number = ExitCode.UserError, details: readonly string[] = []) {
    super(message);
    this.name = "StoError";
    this.exitCode = exitCode;
    this.details = details;
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
