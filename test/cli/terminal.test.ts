import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STO_BIN } from "../helpers/cli";
import { startWorld, type E2eWorld } from "../helpers/e2e";

/** Runs sto under a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runInTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, STO_BIN, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    execFile("script", ["-qec", command, "/dev/null"], { env, timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe("terminal manners", () => {
  let world: E2eWorld;
  let args: string[];
  const baseEnv = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NO_COLOR" && !key.startsWith("STO_")));
  beforeAll(async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
    args = ["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, "tx-last"];
  });
  afterAll(() => world.close());

  it("colours statuses on a terminal", async () => {
    const output = await runInTerminal(args, baseEnv());
    expect(output).toContain("\u001b[33mwaiting\u001b[39m");
  });

  it("never colours with NO_COLOR, in a pipe, or with --json", async () => {
    expect(await runInTerminal(args, { ...baseEnv(), NO_COLOR: "1" })).not.toContain("\u001b[");
    const piped = await world.ok(["tx-last"], { env: { NO_COLOR: "" } });
    expect(piped.stdout).toContain("waiting");
    expect(piped.stdout).not.toContain("\u001b[");
    const json = await runInTerminal(["--json", ...args], baseEnv());
    expect(json).not.toContain("\u001b[");
    expect((JSON.parse(json.replace(/\r/g, "")) as { transactions: { status: string }[] }).transactions[0].status).toBe("waiting");
  });

  it("keeps --quiet to the essential result", async () => {
    const quiet = await world.ok(["--quiet", "kyc-deploy"]);
    expect(quiet.stdout.trim().split("\n")).toHaveLength(1);
    expect(quiet.stdout).toMatch(/already deployed/);
  });
});
