import { spawn } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { killAfterFile } from "../helpers/cleanup";
import { STO_BIN, runSto } from "../helpers/cli";

describe("sto node", () => {
  it("serves JSON-RPC on 127.0.0.1 with funded development accounts until interrupted", async () => {
    // Killed when the file ends if an assertion below fails before the SIGINT.
    const child = killAfterFile(spawn(process.execPath, [STO_BIN, "node", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] }));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /serving JSON-RPC at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`sto node exited ${code}: ${output}`)));
    });
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    try {
      expect(Number((await provider.getNetwork()).chainId)).toBe(31337);
      const wallet = new Wallet(DEVELOPMENT_PRIVATE_KEY, provider);
      expect(await provider.getBalance(wallet.address)).toBe(parseEther("10000"));
      const receipt = await (await wallet.sendTransaction({ to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", value: 1n })).wait();
      expect(receipt?.status).toBe(1);
      expect(output).toContain("Account #0: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    } finally {
      provider.destroy();
    }
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("refuses a busy port with one line and advice", async () => {
    const first = killAfterFile(spawn(process.execPath, [STO_BIN, "node", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] }));
    const port = await new Promise<string>((resolve) => {
      let output = "";
      first.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /serving JSON-RPC at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(match[1]);
      });
    });
    try {
      const second = await runSto(["node", "--port", port]);
      expect(second.code).toBe(1);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      expect(second.stderr.trim().split("\n")).toEqual([
        `error: port ${port} on 127.0.0.1 is already in use (another "sto node"?): stop that process, or start this chain elsewhere with --port N and give commands --ethereum-node-url http://127.0.0.1:N`,
      ]);
    } finally {
      first.kill("SIGINT");
    }
  });

  it("stops when the npm process that launched it (npx sto node) is killed", async () => {
    // npx runs `npm exec` -> sh -> node and does not pass a kill of npm on. Stand-in for npm: a shell
    // whose command line reads "npm exec sto node", which cannot exec into node (a second command follows).
    const launcher = killAfterFile(
      spawn("bash", ["-c", `exec -a "npm exec sto node" bash -c '"${process.execPath}" "${STO_BIN}" node --port 0; true'`], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let output = "";
    await new Promise<void>((resolve) => {
      launcher.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (/serving JSON-RPC/.test(output)) resolve();
      });
    });
    const chainPid = Number(
      (await new Promise<string>((resolve) => {
        const ps = spawn("pgrep", ["-P", String(launcher.pid)]);
        let text = "";
        ps.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
        ps.on("exit", () => resolve(text.trim()));
      })).split("\n")[0],
    );
    expect(chainPid).toBeGreaterThan(0);
    launcher.kill("SIGKILL");
    // The chain notices within a second or two; wait up to 30 s on a loaded machine.
    // Gone, or a zombie that whoever adopted it has not collected yet.
    const alive = (): boolean => {
      try {
        const stat = fs.readFileSync(`/proc/${chainPid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
      } catch {
        return false;
      }
    };
    for (let waited = 0; waited < 30_000 && alive(); waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));

    expect(alive()).toBe(false);
  });
});
