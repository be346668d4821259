import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type E2eWorld } from "../helpers/e2e";
import { runSto, type StoResult } from "../helpers/cli";

/**
 * The INI file is read exactly as written. A custom network chosen with `network = NAME` beside its
 * `[network.NAME]` section once fell back to the local network (and its public development key),
 * because the ini parser let the section overwrite the key.
 */
describe("INI configuration files", () => {
  // A chain whose id is not the local network's, so a fallback to "local" cannot go unnoticed.
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld({ chainId: 8888 });
  });
  afterAll(() => world?.close());

  const writeIni = (name: string, text: string): string => {
    const file = path.join(world.dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const errorLines = (result: StoResult): string[] => result.stderr.split("\n").filter((line) => line.startsWith("error:"));

  it("uses the custom network named beside its section, with its node URL and chain id", async () => {
    const database = path.join(world.dir, "custom.sqlite");
    const ini = writeIni(
      "private.ini",
      `network = private\ndatabase-file = ${database}\n\n[network.private]\nchain-id = 8888\nethereum-node-url = ${world.chain.url}\nconfirmations = 2\n`,
    );
    const result = await runSto(["--config", ini, "--json", "tx-next-nonce"], {
      cwd: world.dir,
      env: { STO_ETHEREUM_PRIVATE_KEY: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const rows = (await import("better-sqlite3")).default;
    const db = new rows(database, { readonly: true });
    try {
      expect(db.prepare("SELECT name, chain_id AS chainId FROM networks").all()).toEqual([{ name: "private", chainId: 8888 }]);
    } finally {
      db.close();
    }
  });

  it("never falls back to the development key: a custom network without a key stops", async () => {
    const ini = writeIni("nokey.ini", `network = private\n[network.private]\nchain-id = 8888\nethereum-node-url = ${world.chain.url}\n`);
    const result = await runSto(["--config", ini, "--database-file", path.join(world.dir, "nokey.sqlite"), "kyc-deploy"], { cwd: world.dir });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/network private needs a broadcasting account/)]);
    expect(result.stderr).not.toMatch(/development account/);
  });

  it.each([
    ["a key set twice", "log-level = debug\nlog-level = error\n", /hostile\.ini:2: "log-level" is set twice \(first on line 1\)/],
    ["a key set twice in a network section", "[network.x]\nchain-id = 1\nchain-id = 2\n", /hostile\.ini:3: "chain-id" is set twice in \[network\.x\]/],
    ["a network section twice", "[network.x]\nchain-id = 1\n[network.X]\nchain-id = 2\n", /hostile\.ini:3: \[network\.X\] appears twice/],
    ["a list", "network[] = local\n", /hostile\.ini:1: "network\[\]": lists are not supported/],
    ["a dotted network name", "[network.a.b]\nchain-id = 1\n", /\[network\.a\.b\] is not a valid network name/],
    ["a section without a name", "[network]\nchain-id = 1\n", /unknown section \[network\]/],
    ["a malformed section header", "[network.x\nchain-id = 1\n", /hostile\.ini:1: malformed section header/],
    ["a network that is not defined", "network = private\n", /network "private" is unknown/],
  ])("stops on %s instead of guessing", async (_name, text, message) => {
    const ini = writeIni("hostile.ini", text);
    const result = await world.sto(["--config", ini, "tx-next-nonce"]);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(message)]);
  });
});
