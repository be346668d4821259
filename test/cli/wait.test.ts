import fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWorld, worldFixture, type E2eWorld } from "../helpers/e2e";
import { spawnSto, type StoResult } from "../helpers/cli";

/**
 * tx-broadcast --wait and tx-update --wait on a chain that mines only when the test says so, as a
 * real network makes the user wait for blocks.
 *
 * Every test starts from the same state, a copy of it of its own: the KYC registry deployed and mined
 * (nonce 0), nothing else prepared.
 */
describe("waiting until transactions are final", () => {
  let chainWorld: E2eWorld;
  let fixture: Awaited<ReturnType<typeof worldFixture>>;
  let world: E2eWorld;
  beforeAll(async () => {
    chainWorld = await startWorld({ automine: false });
    await chainWorld.ok(["kyc-deploy"]);
    await chainWorld.ok(["tx-broadcast"]);
    await chainWorld.provider.send("evm_mine", []);
    await chainWorld.ok(["tx-update"]);
    fixture = await worldFixture(chainWorld);
  });
  beforeEach(async () => {
    world = await fixture.fresh();
  });
  afterAll(() => chainWorld.close());

  const statuses = () => world.query<{ nonce: number; status: string }>("SELECT nonce, status FROM prepared_transactions ORDER BY nonce");
  const mine = () => world.provider.send("evm_mine", []);
  /** The CLI in the background, and a promise for the moment its stderr shows `text`. */
  const background = (args: string[]) => {
    const run = spawnSto(["--database-file", world.databaseFile, "--ethereum-node-url", world.chain.url, ...args], { cwd: world.dir, timeoutMs: 120_000 });
    let stderr = "";
    const shown = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const look = () => (stderr.includes(text) ? resolve() : undefined);
        run.child.stderr?.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
          look();
        });
        void run.result.then((result: StoResult) => (result.stderr.includes(text) ? resolve() : reject(new Error(`never showed "${text}": ${result.stderr}`))));
        look();
      });
    return { ...run, shown };
  };

  it("tx-broadcast --wait sends, shows progress and returns once every transaction has its confirmations", async () => {
    await world.ok(["kyc-manage", "--whitelist-address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    const run = background(["tx-broadcast", "--wait", "--confirmations", "2"]);
    await run.shown("Waiting for 1 of 1 transaction to be final (2 confirmations): 1 broadcasted");
    await mine();
    await run.shown("1 mining");
    expect(statuses()).toEqual([
      { nonce: 0, status: "success" },
      { nonce: 1, status: "mining" },
    ]);
    await mine();
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/success:2 +│ +1 │/);
    expect(result.stdout).toContain("Every transaction is final (2 confirmations).");
    expect(statuses()).toEqual([
      { nonce: 0, status: "success" },
      { nonce: 1, status: "success" },
    ]);
  });

  it("tx-update --wait stops on Ctrl+C with nothing lost, and waiting again resumes", async () => {
    const prepared = await world.ok(["kyc-manage", "--whitelist-address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    expect(prepared.stdout).toMatch(/broadcasted/);
    const run = background(["tx-update", "--wait"]);
    await run.shown("Waiting for 1 of 1 transaction");
    run.child.kill("SIGINT");
    const interrupted = await run.result;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/^error: interrupted: 1 transaction is not final yet \(nonces 1\); nothing is lost: run sto tx-update --wait again$/m);
    expect(statuses()[1]).toEqual({ nonce: 1, status: "broadcasted" });

    const timedOut = await world.sto(["tx-update", "--wait", "--timeout", "1"]);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(/^error: --timeout 1: 1 transaction is not final yet \(nonces 1\); nothing is lost: run sto tx-update --wait again$/m);

    const again = background(["tx-update", "--wait"]);
    await again.shown("Waiting for 1 of 1 transaction");
    await mine();
    const resumed = await again.result;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses()[1]).toEqual({ nonce: 1, status: "success" });
    // Nothing left to wait for: it says so and returns at once.
    const nothing = await world.ok(["tx-update", "--wait"]);
    expect(nothing.stdout).toContain("No broadcast transactions waiting for a result.");
  }, 180_000);

  it("a distribution counts this account's whitelisting still pending as done, says so, and is mined after it", async () => {
    const deployer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const receiver = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const stranger = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    await world.ok(["kyc-manage", `--whitelist-address=${deployer}`]);
    await mine();
    const issued = await world.ok(["issue", "--symbol=PEND", "--name=Pending corp", "--amount=100", "--transfer-restriction=restricted"]);
    const token = /Token address will be (0x[0-9a-fA-F]{40})/.exec(issued.stdout)?.[1] as string;
    await world.ok(["tx-broadcast"]);
    await mine();
    await world.ok(["tx-update"]);
    await world.ok(["kyc-manage", `--whitelist-address=${receiver}`]);
    const [pendingRow] = world.query<{ nonce: number; tx_hash: string }>("SELECT nonce, tx_hash FROM prepared_transactions WHERE status = 'broadcasted'");

    // A receiver nobody is whitelisting is still refused, with the advice to whitelist it.
    const csv = `${world.dir}/pending.csv`;
    fs.writeFileSync(csv, `external_id,email,name,address,amount\np1,,,${receiver},1\np2,,,${stranger},1\n`);
    const refused = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`pending.csv:3: field address "${stranger}": not whitelisted`);
    expect(refused.stderr).toContain(`sto kyc-manage --whitelist-address=${stranger}`);
    expect(refused.stderr).not.toContain(`pending.csv:2:`);

    fs.writeFileSync(csv, `external_id,email,name,address,amount\np1,,,${receiver},1\n`);
    const distributed = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
    expect(distributed.stdout).toMatch(/created 1 new transaction/);
    expect(distributed.stderr).toContain(
      `warning: counting the whitelisting of ${receiver} in transaction ${pendingRow.tx_hash} (nonce ${pendingRow.nonce}, broadcasted) as done: it is not mined yet, and nonce order mines it before these payments (if it fails, they fail too)`,
    );
    await world.ok(["tx-broadcast"]);
    await mine();
    await world.ok(["tx-update"]);
    expect(world.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions")).toEqual([{ status: "success" }]);
  }, 180_000);
  it("a distribution before the token's deployment is mined says it is pending, with the transaction to wait for", async () => {
    const receiver = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const issued = await world.ok(["issue", "--symbol=LATE", "--name=Late corp", "--amount=100"]);
    const token = /Token address will be (0x[0-9a-fA-F]{40})/.exec(issued.stdout)?.[1] as string;
    const csv = `${world.dir}/late.csv`;
    fs.writeFileSync(csv, `external_id,email,name,address,amount\nlate-1,,,${receiver},40\n`);

    // Prepared, not sent: the advice is to send it and wait, not "no contract there".
    const [deployment] = world.query<{ nonce: number }>(`SELECT nonce FROM prepared_transactions WHERE contract_address = '${token}' AND is_deployment = 1`);
    const unsent = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
    expect(unsent.code).toBe(1);
    expect(unsent.stderr.trim().split("\n").at(-1)).toBe(
      `error: --token-address ${token}: the deployment of token ${token} is prepared in transaction nonce ${deployment.nonce} but not sent yet: send it and wait for it with \`sto tx-broadcast --wait\``,
    );
    await world.ok(["tx-broadcast"]);
    const [sent] = world.query<{ tx_hash: string }>(`SELECT tx_hash FROM prepared_transactions WHERE nonce = ${deployment.nonce}`);
    const pending = await world.sto(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
    expect(pending.code).toBe(1);
    expect(pending.stderr.trim().split("\n").at(-1)).toBe(
      `error: --token-address ${token}: the deployment of token ${token} is pending in transaction ${sent.tx_hash} (nonce ${deployment.nonce}, broadcasted): wait for it with \`sto tx-update --wait\``,
    );
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM distribution_payments WHERE external_id = 'late-1'")[0].n).toBe(0);

    // Once it is mined, the same distribution goes through.
    await mine();
    await world.ok(["tx-update"]);
    const distributed = await world.ok(["distribute-multiple", `--csv-input=${csv}`, `--token-address=${token}`]);
    expect(distributed.stdout).toContain("Distribution created 1 new transaction for 1 row");
    await world.ok(["tx-broadcast"]);
    await mine();
    await world.ok(["tx-update"]);
    expect(world.query<{ status: string }>("SELECT DISTINCT status FROM prepared_transactions")).toEqual([{ status: "success" }]);
  }, 240_000);

  it("a distribution short of shares whose issuance is not mined yet says the issuance is pending", async () => {
    const receiver = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const issued = await world.ok(["issue", "--symbol=SOON", "--name=Soon corp", "--amount=100"]);
    const token = /Token address will be (0x[0-9a-fA-F]{40})/.exec(issued.stdout)?.[1] as string;
    await world.ok(["tx-broadcast"]);
    const [issuance] = world.query<{ nonce: number; tx_hash: string }>(
      `SELECT nonce, tx_hash FROM prepared_transactions WHERE function_signature LIKE 'issueTokens(%' AND to_address = '${token}'`,
    );
    // The node loses the issuance and mines the rest: the token exists, its shares are not there yet.
    await world.provider.send("hardhat_dropTransaction", [issuance.tx_hash]);
    await mine();
    const short = await world.sto(["distribute-single", `--token-address=${token}`, `--to-address=${receiver}`, "--amount=40", "--external-id=soon-1", "--email=dave@example.com", "--name=Dave"]);
    expect(short.code, short.stderr).toBe(1);
    expect(short.stderr.trim().split("\n").at(-1)).toBe(
      `error: the broadcasting account 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 holds 0 tokens; the 1 row to pay needs 40: 40 missing; nothing prepared; ` +
        `the issuance "Creating 100 initial shares for Soon corp" is pending in transaction ${issuance.tx_hash} (nonce ${issuance.nonce}, broadcasted): wait for it with \`sto tx-update --wait\``,
    );
    expect(world.query<{ n: number }>("SELECT count(*) AS n FROM distribution_payments WHERE external_id = 'soon-1'")[0].n).toBe(0);

    // The node never saw it again: tx-update finds it dropped, and the advice becomes to send it again.
    await world.ok(["tx-update"]);
    const dropped = await world.sto(["distribute-single", `--token-address=${token}`, `--to-address=${receiver}`, "--amount=40", "--external-id=soon-1", "--email=dave@example.com", "--name=Dave"]);
    expect(dropped.code, dropped.stderr).toBe(1);
    expect(dropped.stderr).toContain(`the issuance "Creating 100 initial shares for Soon corp" is in transaction ${issuance.tx_hash} (nonce ${issuance.nonce}), which the node dropped: send it again and wait for it with \`sto tx-broadcast --wait\``);
    await world.ok(["tx-broadcast"]);
    await mine();
    await world.ok(["tx-update"]);
    await world.ok(["distribute-single", `--token-address=${token}`, `--to-address=${receiver}`, "--amount=40", "--external-id=soon-1", "--email=dave@example.com", "--name=Dave"]);
  }, 240_000);
});
