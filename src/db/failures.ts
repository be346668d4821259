import type { FieldText } from "../errors";

/**
 * What a SQLite failure of the machine — a full disk, a read-only or damaged file, a lock held too
 * long — means for the user, with advice (naming the setting to change: FieldText); undefined for anything else. A write that fails this way is
 * rolled back whole by SQLite, so the advice can say that nothing was half-written. Kept free of
 * imports: the CLI's error report uses it without loading the database driver.
 */
export function describeDatabaseFailure(error: unknown): FieldText | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return undefined;
  switch (code.split("_")[1]) {
    case "FULL":
      return "the disk holding the audit database is full; nothing was half-written: free some space and run the command again";
    case "READONLY":
      return (name) =>
        `the audit database cannot be written (a read-only file, directory or file system); nothing was changed: check its permissions, or use ${name("databaseFile")} to choose another`;
    case "CORRUPT":
    case "NOTADB":
      return "the audit database file is damaged (SQLite reports it corrupt): stop using it, restore it from a backup (sqlite3's .recover command can save what is readable) and run the command again";
    case "IOERR":
      return `the disk failed while sto used the audit database (${code}); nothing was half-written: check the disk and run the command again`;
    case "BUSY":
    case "LOCKED":
      return "the audit database stayed locked by another process for 30 seconds; run the command again when it has finished";
    default:
      return undefined;
  }
}

/**
 * What a PostgreSQL failure means for the user: the server unreachable, a refused login, a missing
 * database, a server shutting down, a full disk, a lock or statement timeout; undefined for anything
 * else (a bug of ours). Never repeats the connection URL (the caller scrubs what it adds).
 */
export function describePostgresFailure(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") {
    const message = (error as Error | undefined)?.message ?? "";
    if (/timeout expired|Connection terminated/i.test(message)) {
      return "the PostgreSQL server did not answer or closed the connection; nothing was half-written (a transaction is all or nothing): check the server and run the command again";
    }
    return undefined;
  }
  const network: Record<string, string> = {
    ECONNREFUSED: "the PostgreSQL server refused the connection (is it running, on that host and port?)",
    ENOTFOUND: "the PostgreSQL server's host name is not known",
    EAI_AGAIN: "the PostgreSQL server's host name could not be resolved now",
    ETIMEDOUT: "the PostgreSQL server did not answer",
    ECONNRESET: "the PostgreSQL server closed the connection",
    EHOSTUNREACH: "the PostgreSQL server's host cannot be reached",
  };
  if (network[code]) return `${network[code]}; nothing was written: run the command again when it is reachable`;
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const detail = (error as Error).message;
  if (code === "28P01" || code === "28000") return `the PostgreSQL server refused the login (${detail}): check the user, PGPASSWORD or ~/.pgpass`;
  if (code === "3D000") return `${detail}: create it first (CREATE DATABASE), see docs/team.md`;
  if (code === "42501") return `permission denied (${detail}): the user needs the rights described in docs/team.md`;
  if (code === "53100") return "the PostgreSQL server's disk is full; nothing was half-written: free some space and run the command again";
  if (code.startsWith("08") || code.startsWith("57P")) {
    return `the PostgreSQL server closed the connection or is shutting down (${detail}); nothing was half-written: run the command again`;
  }
  if (code === "55P03" || code === "57014") return `a lock or statement timeout of the server (${detail}); nothing was half-written: run the command again`;
  if (code.startsWith("53")) return `the PostgreSQL server is out of resources (${detail}); nothing was half-written: run the command again later`;
  return undefined;
}
