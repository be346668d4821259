import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands";
import { invokedCommand } from "../../src/cli/program";

describe("the lazily loaded command modules", () => {
  it("each register exactly the command they are listed under", async () => {
    for (const [name, load] of Object.entries(COMMANDS)) {
      const program = new Command("sto");
      (await load()).register(program);
      expect(program.commands.map((command) => command.name()), name).toEqual([name]);
    }
  });

  it("find the command named on the command line past global options and their values", () => {
    expect(invokedCommand(["cap-table", "--token-address", "0x1"])).toBe("cap-table");
    expect(invokedCommand(["--database-file", "tx-last", "--json", "tx-update"])).toBe("tx-update");
    expect(invokedCommand(["--network=goerli", "--quiet", "token-scan"])).toBe("token-scan");
    expect(invokedCommand(["--config-file", "x.ini", "--auto-restart-nonce", "false", "issue"])).toBe("issue");
    expect(invokedCommand(["--help"])).toBeUndefined();
    expect(invokedCommand([])).toBeUndefined();
    expect(invokedCommand(["--", "issue"])).toBeUndefined();
  });
});
