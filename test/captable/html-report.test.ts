import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Contract, Wallet } from "ethers";
import { ContractArtifacts } from "../../src/contracts/artifacts";
import { DEVELOPMENT_PRIVATE_KEY } from "../../src/chain/local-node";
import { countColour, startChromium, type HeadlessChromium } from "../helpers/chromium";
import { startWorld, tokenAddressFrom, type E2eWorld } from "../helpers/e2e";

const HOLDERS = [
  { name: "Alice <script>alert(1)</script>", address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", shares: 5000n },
  { name: "Bob & Sons", address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", shares: 3000n },
  { name: "Carol", address: "0x90F79bf6EB2c4f870365E785982E1f101E93b906", shares: 500n },
];

describe("cap-table --format html", () => {
  let world: E2eWorld;
  let token: string;
  let chromium: HeadlessChromium;
  beforeAll(async () => {
    chromium = await startChromium();
    world = await startWorld();
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=HTM", "--name=Html corp", "--url=https://h.example", "--amount=10000"]));
    await world.ok(["tx-broadcast"]);
    const issuer = new Wallet(DEVELOPMENT_PRIVATE_KEY, world.provider);
    const contract = new Contract(token, new ContractArtifacts().get("SecurityToken").abi, issuer);
    let nonce = await world.provider.getTransactionCount(issuer.address);
    for (const holder of HOLDERS) {
      await (await contract.getFunction("transfer")(holder.address, holder.shares * 10n ** 18n, { nonce: nonce++ })).wait();
    }
    await world.ok(["token-scan", `--token-address=${token}`]);
  });
  afterAll(async () => {
    await world?.close();
    await chromium?.close();
  });

  it("writes a self-contained page that Chromium renders with the table and the ownership chart", async () => {
    const ids = path.join(world.dir, "ids.csv");
    fs.writeFileSync(ids, `name,address\n${HOLDERS.map((holder) => `"${holder.name}",${holder.address}`).join("\n")}\n`);
    const report = path.join(world.dir, "report.html");
    const result = await world.ok(["cap-table", `--token-address=${token}`, `--identity-file=${ids}`, "--format", "html", "--output", report]);
    expect(result.stdout).toMatch(/written to .*report\.html/);
    const html = fs.readFileSync(report, "utf8");
    expect(html).not.toMatch(/<script|https?:\/\/(?!h\.example)/);

    const dom = await chromium.renderDom(report);
    const rows = [...dom.matchAll(/<tr><td>([^<]*)<\/td><td>(0x[0-9a-fA-F]{40})<\/td>/g)].map((match) => [match[1], match[2]]);
    expect(rows).toEqual([
      ["Alice &lt;script&gt;alert(1)&lt;/script&gt;", HOLDERS[0].address],
      ["Bob &amp; Sons", HOLDERS[1].address],
      ["", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
      ["Carol", HOLDERS[2].address],
    ]);
    expect(dom).toContain("<td class=\"number\">50.00</td>");
    expect(dom.match(/class="slice"/g)).toHaveLength(4);
    expect(dom).not.toContain("<script>");

    // The chart is really drawn: the largest holder's slice colour covers about half the pie.
    const shot = await chromium.renderScreenshot(report);
    const largest = countColour(shot, "#1b6ca8");
    const smallest = countColour(shot, "#c0392b"); // Carol, the fourth slice
    expect(largest).toBeGreaterThan(10_000);
    expect(smallest).toBeGreaterThan(1_000);
    expect(largest).toBeGreaterThan(3 * smallest);
  });

  it("refuses html without --output and an existing file without --force", async () => {
    const noOutput = await world.sto(["cap-table", `--token-address=${token}`, "--format", "html"]);
    expect(noOutput.code).toBe(1);
    expect(noOutput.stderr).toMatch(/--format html needs --output FILE/);
    const report = path.join(world.dir, "exists.html");
    fs.writeFileSync(report, "keep me");
    const exists = await world.sto(["cap-table", `--token-address=${token}`, "--format", "html", "--output", report]);
    expect(exists.code).toBe(1);
    expect(fs.readFileSync(report, "utf8")).toBe("keep me");
    await world.ok(["cap-table", `--token-address=${token}`, "--format", "html", "--output", report, "--force"]);
    expect(fs.readFileSync(report, "utf8")).toMatch(/^<!DOCTYPE html>/);
  });
});
