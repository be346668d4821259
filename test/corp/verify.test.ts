import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AbiCoder, ZeroAddress } from "ethers";
import { closedNodeUrl } from "../helpers/cli";
import { startWorld, tokenAddressFrom, worldFixture, type E2eWorld } from "../helpers/e2e";
import { addressAfter, expectRefused } from "../helpers/corp";

const API_KEY = "verify-test-key-4f1c";

interface Received {
  method: string;
  query: Record<string, string>;
  body: Record<string, string>;
}

/**
 * A loopback stand-in for the Etherscan API: checks what tx-verify sends and answers as Etherscan
 * does. Submissions get a GUID (or "already verified" for BasicKYC); each GUID is pending on the
 * first status check, then passes (or fails, for CrowdsaleToken until `failCrowdsale` is cleared).
 */
function startFakeEtherscan(): Promise<{ url: string; received: Received[]; state: { failCrowdsale: boolean }; close: () => Promise<void> }> {
  const received: Received[] = [];
  const state = { failCrowdsale: true };
  const polls = new Map<string, number>();
  const server = http.createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const entry: Received = {
        method: request.method ?? "",
        query: Object.fromEntries(url.searchParams),
        body: Object.fromEntries(new URLSearchParams(raw)),
      };
      received.push(entry);
      const params = { ...entry.query, ...entry.body };
      const answer = (status: string, result: string) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status, message: status === "1" ? "OK" : "NOTOK", result }));
      };
      if (params.apikey !== API_KEY) return answer("0", "Invalid API Key");
      if (params.chainid !== "31337") return answer("0", "Missing or unsupported chainid parameter");
      if (params.action === "verifysourcecode" && entry.method === "POST") {
        if (params.contractname.endsWith(":BasicKYC")) return answer("0", "Contract source code already verified");
        const failing = params.contractname.endsWith(":CrowdsaleToken") && state.failCrowdsale;
        return answer("1", `${failing ? "fail" : "pass"}-${params.contractaddress}`);
      }
      if (params.action === "checkverifystatus" && entry.method === "GET") {
        const count = (polls.get(params.guid) ?? 0) + 1;
        polls.set(params.guid, count);
        if (count === 1) return answer("0", "Pending in queue");
        return params.guid.startsWith("fail-") ? answer("0", "Fail - Unable to verify") : answer("1", "Pass - Verified");
      }
      answer("0", "Error! Unknown action");
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/v2/api`, received, state, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

// Every test starts from a copy of its own of the deployments (none verified yet) and a fake
// Etherscan of its own (nothing received yet).
describe("tx-verify against an Etherscan-compatible API", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  let api: Awaited<ReturnType<typeof startFakeEtherscan>>;
  let token: string;
  let crowdsale: string;

  beforeAll(async () => {
    world = chainWorld = await startWorld();
    await world.ok(["kyc-deploy"]);
    crowdsale = addressAfter("CrowdsaleToken address will be", (await world.ok(["deploy-crowdsale-token"])).stdout);
    token = tokenAddressFrom(await world.ok(["issue", "--symbol=VER", "--name=Verify corp", "--url=https://example.com", "--amount=1"]));
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    [world, api] = await Promise.all([fixture.fresh(), startFakeEtherscan()]);
  });
  afterEach(() => api.close());
  afterAll(() => chainWorld.close());

  const verify = (args: string[] = []) =>
    world.sto(["tx-verify", "--poll-interval=0.05", ...args], { globals: ["--etherscan-api-url", api.url, "--etherscan-api-key", API_KEY] });

  it("submits the exact compiler input, polls, and records the results", async () => {
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: 1 of 4 verifications did not succeed");
    expect(result.stdout + result.stderr).not.toContain(API_KEY);

    const submissions = api.received.filter((request) => request.body.action === "verifysourcecode");
    expect(submissions.map((request) => request.body.contractname)).toEqual([
      "contracts/BasicKYC.sol:BasicKYC",
      "contracts/test/CrowdsaleToken.sol:CrowdsaleToken",
      "contracts/SecurityToken.sol:SecurityToken",
      "contracts/UnrestrictedTransferAgent.sol:UnrestrictedTransferAgent",
    ]);
    const tokenSubmission = submissions[2].body;
    expect(submissions[2].query.chainid).toBe("31337");
    expect(tokenSubmission.module).toBe("contract");
    expect(tokenSubmission.contractaddress).toBe(token);
    expect(tokenSubmission.codeformat).toBe("solidity-standard-json-input");
    expect(tokenSubmission.compilerversion).toMatch(/^v0\.8\.28\+commit\.[0-9a-f]{8}$/);
    // The fourth argument is the code extension: 0x0 for the first token of a database (it creates its own).
    const expectedArguments = AbiCoder.defaultAbiCoder()
      .encode(["string", "string", "string", "address"], ["Verify corp", "VER", "https://example.com", ZeroAddress])
      .slice(2);
    expect(tokenSubmission.constructorArguements).toBe(expectedArguments);
    expect(tokenSubmission.constructorArguments).toBe(expectedArguments);
    const input = JSON.parse(tokenSubmission.sourceCode) as { language: string; sources: Record<string, { content: string }>; settings: { optimizer: { enabled: boolean } } };
    expect(input.language).toBe("Solidity");
    expect(input.sources["contracts/SecurityToken.sol"].content).toContain("contract SecurityToken");
    expect(input.settings.optimizer.enabled).toBe(true);
    const polls = api.received.filter((request) => request.query.action === "checkverifystatus");
    expect(polls.every((request) => request.method === "GET" && request.query.guid !== undefined)).toBe(true);
    expect(polls.length).toBe(6);

    const rows = world.query<{ contract_name: string; verified_at: string | null; verification_info: string | null }>(
      "SELECT contract_name, verified_at, verification_info FROM prepared_transactions WHERE is_deployment = 1 ORDER BY nonce",
    );
    const byName = Object.fromEntries(rows.map((row) => [row.contract_name, row]));
    expect(byName.BasicKYC.verified_at).not.toBeNull();
    expect(JSON.parse(byName.BasicKYC.verification_info as string).status).toBe("already-verified");
    expect(byName.SecurityToken.verified_at).not.toBeNull();
    expect(JSON.parse(byName.SecurityToken.verification_info as string)).toMatchObject({ status: "verified", message: "Pass - Verified", guid: `pass-${token}` });
    expect(byName.CrowdsaleToken.verified_at).toBeNull();
    expect(JSON.parse(byName.CrowdsaleToken.verification_info as string)).toMatchObject({ status: "failed", message: "Fail - Unable to verify" });
  });

  it("submits again only what is not verified, and the given addresses", async () => {
    // A first run verifies all but CrowdsaleToken.
    expect((await verify()).code).toBe(1);
    api.state.failCrowdsale = false;
    const before = api.received.length;
    const retry = await verify();
    expect(retry.code).toBe(0);
    const resubmitted = api.received.slice(before).filter((request) => request.body.action === "verifysourcecode");
    expect(resubmitted.map((request) => request.body.contractaddress)).toEqual([crowdsale]);
    expect(world.query<{ n: number }>("SELECT COUNT(*) AS n FROM prepared_transactions WHERE is_deployment = 1 AND verified_at IS NULL")[0].n).toBe(0);

    const nothing = await verify();
    expect(nothing.stdout).toContain("No deployments to verify.");
    const unknown = await verify([`--contract-addresses=${"0x" + "12".repeat(20)}`]);
    expectRefused(unknown, 1, `--contract-addresses: ${"0x" + "12".repeat(20)} is not a successful deployment(s) recorded in this database on local (run tx-update first?)`);
    const noKey = await world.sto(["tx-verify"], { globals: ["--etherscan-api-url", api.url] });
    expectRefused(noKey, 1, "tx-verify needs an EtherScan API key: set etherscan-api-key in the INI file or the STO_ETHERSCAN_API_KEY environment variable");
    const noUrl = await world.sto(["tx-verify"]);
    expectRefused(noUrl, 1, "network local has no Etherscan-compatible API: set etherscan-api-url (in the INI file or with --etherscan-api-url)");
  });
});

/** A loopback server answering every request with `status` and `body` (not Etherscan's JSON). */
function startGarbageServer(status: number, body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.statusCode = status;
      response.setHeader("content-type", "text/html");
      response.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/v2/api`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

describe("tx-verify when the verification API is not there or answers garbage", () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startWorld();
    await world.ok(["kyc-deploy"]);
    await world.ok(["tx-broadcast"]);
    await world.ok(["tx-update"]);
  });
  afterAll(() => world.close());

  const verify = (url: string) => world.sto(["tx-verify", "--poll-interval=0.05"], { globals: ["--etherscan-api-url", url, "--etherscan-api-key", API_KEY] });
  const unrecorded = () => world.query<{ n: number }>("SELECT COUNT(*) AS n FROM prepared_transactions WHERE is_deployment = 1 AND verification_info IS NULL AND verified_at IS NULL")[0].n;

  it("stops with exit code 3 and one line, recording nothing, without repeating the key", async () => {
    const closed = `${await closedNodeUrl()}/v2/api`;
    const unreachable = await verify(closed);
    expectRefused(unreachable, 3, `verification API ${closed} unreachable: ECONNREFUSED`);
    expect(unrecorded()).toBe(1);

    const html = await startGarbageServer(200, `<html>maintenance ${API_KEY}</html>`);
    const server500 = await startGarbageServer(500, "Internal Server Error");
    try {
      const notJson = await verify(html.url);
      expectRefused(notJson, 3, `verification API ${html.url} did not answer JSON: <html>maintenance [redacted]</html>`);
      const failing = await verify(server500.url);
      expectRefused(failing, 3, `verification API ${server500.url} answered HTTP 500: Internal Server Error`);
      for (const result of [unreachable, notJson, failing]) expect(result.stdout + result.stderr).not.toContain(API_KEY);
    } finally {
      await html.close();
      await server500.close();
    }
    expect(unrecorded()).toBe(1);
  });
});
