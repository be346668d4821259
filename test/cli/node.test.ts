import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { JsonRpcProvider, Wallet, parseEther } from "ethers";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { killAfterFile } from "../helpers/cleanup";
import { STO_BIN } from "../helpers/cli";

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
});
