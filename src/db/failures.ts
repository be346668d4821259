/**
 * What a SQLite failure of the machine — a full disk, a read-only or damaged file, a lock held too
 * long — means for the user, with advice; undefined for anything else. A write that fails this way is
 * rolled back whole by SQLite, so the advice can say that nothing was half-written. Kept free of
 * imports: the CLI's error report uses it without loading the database driver.
 */
export function describeDatabaseFailure(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return undefined;
  switch (code.split("_")[1]) {
    case "FULL":
      return "the disk holding the audit database is full; nothing was half-written: free some space and run the command again";
    case "READONLY":
      return "the audit database cannot be written (a read-only file, directory or file system); nothing was changed: check its permissions, or use --database-file to choose another";
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
