import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalChain } from "../chain/local-node";
import { PACKAGE_ROOT } from "../contracts/artifacts";

const STO = path.join(PACKAGE_ROOT, "bin", "sto");
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/** The receivers in example-distribution.csv: development accounts #1 to #3. */
const DISTRIBUTION_RECEIVERS = [
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
];

/** Keys of development accounts #1 and #2 (Alice and Bob of example-distribution.csv): public knowledge. */
const HOLDER_KEYS = {
  alice: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  bob: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
};

/** One step of the tutorial: the sto arguments, and how to pick values out of its output. */
interface Step {
  title: string;
  args: (values: Record<string, string>) => string[];
  capture?: Record<string, RegExp>;
}

/**
 * The manual's restricted-issuance tutorial, run step by step with the real CLI against a fresh
 * local chain in a temporary directory, printing each command and its output.
 */
const STEPS: Step[] = [
  { title: "Check the node and the account", args: () => ["diagnose"] },
  { title: "Deploy the KYC smart contract", args: () => ["kyc-deploy"], capture: { kyc: /KYC contract address will be (0x[0-9a-fA-F]{40})/ } },
  { title: "Whitelist the address that deploys the security token", args: () => ["kyc-manage", `--whitelist-address=${DEPLOYER}`] },
  {
    title: "Issue the security token in restricted mode",
    args: () => ["issue", "--symbol=STO", "--name=Mikko's magic corp", "--url=https://tokenmarket.net", "--amount=10000", "--transfer-restriction=restricted"],
    capture: { token: /Token address will be (0x[0-9a-fA-F]{40})/ },
  },
  { title: "Broadcast the transactions", args: () => ["tx-broadcast"] },
  { title: "Make sure they ran successfully", args: () => ["tx-update"] },
  { title: "Look at the token", args: (values) => ["token-status", `--token-address=${values.token}`] },
  {
    title: "Whitelist the addresses that take part in the distribution (those of example-distribution.csv)",
    args: () => ["kyc-manage", `--whitelist-address=${DISTRIBUTION_RECEIVERS.join(",")}`],
  },
  {
    title: "Distribute the tokens as described in the CSV file",
    args: (values) => ["distribute-multiple", "--csv-input=example-distribution.csv", `--token-address=${values.token}`],
  },
  { title: "Broadcast the distribution", args: () => ["tx-broadcast"] },
  { title: "Make sure it ran successfully", args: () => ["tx-update"] },
  {
    title: "Running the distribution again prepares nothing: every external_id is paid once",
    args: (values) => ["distribute-multiple", "--csv-input=example-distribution.csv", `--token-address=${values.token}`],
  },
  { title: "Scan all transactions of the security token", args: (values) => ["token-scan", `--token-address=${values.token}`] },
  {
    title: "View the cap table",
    args: (values) => ["cap-table", "--identity-file=example-ids.csv", `--token-address=${values.token}`],
  },
  {
    title: "Deploy a payout currency for testing (the manual's CrowdsaleToken)",
    args: () => ["deploy-crowdsale-token"],
    capture: { currency: /CrowdsaleToken address will be (0x[0-9a-fA-F]{40})/ },
  },
  { title: "Broadcast it", args: () => ["tx-broadcast"] },
  {
    title: "Deploy a dividend payout; its record date is a checkpoint taken in the same batch",
    args: (values) => [
      "payout-deploy",
      `--token-address=${values.token}`,
      `--payout-token-address=${values.currency}`,
      "--payout-token-name=CrowdsaleToken",
      `--kyc-address=${values.kyc}`,
      "--payout-name=Pay X",
      "--uri=http://tokenmarket.net",
      "--type=0",
    ],
  },
  {
    title: "Approve the payout currency to the payout (broadcasts at once, with the waiting transactions)",
    args: () => ["payout-approve", "--payout-token-name=CrowdsaleToken", "--amount=1000"],
  },
  { title: "Deposit it into the payout (broadcasts at once)", args: () => ["payout-deposit"] },
  { title: "Make sure they ran successfully", args: () => ["tx-update"] },
  { title: "Pay the dividend to every holder at the record date", args: () => ["payout-dividends"] },
  {
    title: "Start a shareholder vote (another checkpoint as its record date)",
    args: (values) => [
      "voting-deploy",
      `--token-address=${values.token}`,
      `--kyc-address=${values.kyc}`,
      "--voting-name=Approve the annual accounts",
      "--uri=http://tokenmarket.net",
      "--type=1",
    ],
    capture: { voting: /Voting address will be (0x[0-9a-fA-F]{40})/ },
  },
  { title: "Broadcast the payments and the vote", args: () => ["tx-broadcast"] },
  { title: "Make sure they ran successfully", args: () => ["tx-update"] },
  { title: "Who was paid what", args: () => ["payout-status"] },
  {
    title: "Alice votes with her own key (development account #1, whose key is public)",
    args: (values) => [`--ethereum-private-key=${HOLDER_KEYS.alice}`, "vote", `--voting-address=${values.voting}`, "--option=Yes"],
  },
  {
    title: "Bob votes too",
    args: (values) => [`--ethereum-private-key=${HOLDER_KEYS.bob}`, "vote", `--voting-address=${values.voting}`, "--option=No"],
  },
  { title: "The tally", args: (values) => ["voting-results", `--voting-address=${values.voting}`] },
];

async function main(): Promise<number> {
  const chain = await startLocalChain({ port: Number(process.env.STO_DEMO_PORT ?? 0) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sto-demo-"));
  for (const file of ["example-distribution.csv", "example-ids.csv"]) {
    const source = path.join(PACKAGE_ROOT, file);
    if (fs.existsSync(source)) fs.copyFileSync(source, path.join(dir, file));
  }
  fs.writeFileSync(path.join(dir, "myconfig.ini"), `network = local\nethereum-node-url = ${chain.url}\ndatabase-file = demo.sqlite\n`);
  process.stdout.write(`Local chain at ${chain.url}; working directory ${dir}\n`);
  const values: Record<string, string> = {};
  try {
    for (const [index, step] of STEPS.entries()) {
      // Numbered as they run, so that every step has one number and docs/getting-started.md can cite it.
      const number = index + 1;
      const args = ["--config=myconfig.ini", ...step.args(values)];
      process.stdout.write(`\n## ${number}. ${step.title}\n$ sto ${args.map(quote).join(" ")}\n`);
      // The chain runs in this process: the CLI must be awaited, not run synchronously.
      const result = await runCli(args, dir);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr.split("\n").filter((line) => !line.includes("development account")).join("\n"));
      if (result.status !== 0) {
        process.stderr.write(`\ndemo step failed with exit code ${result.status}\n`);
        return 1;
      }
      for (const [name, pattern] of Object.entries(step.capture ?? {})) {
        const match = pattern.exec(result.stdout);
        if (match) values[name] = match[1];
      }
    }
    process.stdout.write("\nDemo finished.\n");
    return 0;
  } finally {
    await chain.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runCli(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STO, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function quote(arg: string): string {
  return /^[\w./=:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
