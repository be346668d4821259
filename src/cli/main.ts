import { CommanderError, type Command } from "commander";
import { ExitCode, renderFieldText, StoError, type FieldNamer, type FieldText } from "../errors";
import { flagNames } from "./flag-names";
import { describeDatabaseFailure, describePostgresFailure } from "../db/failures";
import { safeText } from "./output";
import { buildProgram } from "./program";

/**
 * Runs the CLI and returns the exit code. User errors print one line on stderr and no stack trace;
 * unexpected errors print one line too, with the stack only at --log-level=debug.
 */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  if (process.env.STO_REPORT_RSS) reportResourcesAtExit(program);
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    return reportError(error, argv, flagNames(program));
  }
}

/**
 * For the benchmarks (bench/): at exit, prints one line to stderr with the peak resident memory of
 * the process, its CPU time, the milliseconds until the command's action started (Node.js start-up
 * and loading the command's modules) and the milliseconds of the command itself from there to the
 * exit. Off unless STO_REPORT_RSS is set.
 */
function reportResourcesAtExit(program: Command): void {
  let started: number | undefined;
  program.hook("preAction", () => {
    started = performance.now();
  });
  process.once("exit", () => {
    const usage = process.resourceUsage();
    const now = performance.now();
    const startupMs = started ?? now;
    const report = {
      maxRssKb: usage.maxRSS,
      cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
      startupMs: Math.round(startupMs),
      commandMs: Math.round(now - startupMs),
    };
    process.stderr.write(`sto-resources ${JSON.stringify(report)}\n`);
  });
}

/** Reports a failure; `names` gives settings named in its message their flags (for errors raised outside a command's action). */
function reportError(thrown: unknown, argv: string[], names: FieldNamer): number {
  // drizzle wraps a database's error in one whose message is the whole statement: report the database's.
  const error = thrown instanceof Error && thrown.message.startsWith("Failed query:") && thrown.cause instanceof Error ? thrown.cause : thrown;
  if (error instanceof CommanderError) {
    // commander has printed its own message (or the help / version) already.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.help" || error.code === "commander.version") {
      return ExitCode.Ok;
    }
    return ExitCode.Usage;
  }
  if (thrown instanceof StoError) {
    const error = thrown.renamed(names);
    process.stderr.write(`error: ${oneLine(error.message)}\n`);
    for (const detail of error.details) process.stderr.write(`error: ${oneLine(detail)}\n`);
    return error.exitCode;
  }
  const environment = environmentFailure(error);
  if (environment) {
    process.stderr.write(`error: ${oneLine(renderFieldText(environment, names))}\n`);
    return ExitCode.UserError;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${oneLine(message)}\n`);
  if (argv.some((arg) => /^--log-level(=|$)/.test(arg)) && argv.join(" ").match(/--log-level[= ]debug/i)) {
    process.stderr.write(`${(error as Error).stack ?? ""}\n`);
  }
  return ExitCode.Internal;
}

/**
 * Failures of the machine rather than of sto — a full disk, a read-only or damaged database file —
 * explained with advice instead of being reported as a bug. A database write that fails this way is
 * rolled back whole by SQLite, so the advice can say that nothing was half-written.
 */
function environmentFailure(error: unknown): FieldText | undefined {
  // Only a server's answer (pg's DatabaseError carries a severity): a refused connection to the node is not the database's.
  const fromPostgres = typeof error === "object" && error !== null && "severity" in error;
  const database = describeDatabaseFailure(error) ?? (fromPostgres ? describePostgresFailure(error) : undefined);
  if (database) return database;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return undefined;
  const fileProblems: Record<string, string> = {
    ENOSPC: "the disk is full",
    EDQUOT: "the disk quota is exceeded",
    EROFS: "the file system is read-only",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EIO: "an input/output error of the disk",
  };
  const problem = fileProblems[code];
  if (!problem) return undefined;
  const target = (error as { path?: unknown }).path;
  return `${typeof target === "string" ? `${target}: ` : ""}${problem}: fix that and run the command again`;
}

function oneLine(text: string): string {
  return safeText(text.replace(/\s*\n\s*/g, " ").trim(), false);
}
