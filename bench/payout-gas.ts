/**
 * Gas of a payout and a vote run through sto's own services (the CLI's code path): deployment with
 * its checkpoint and announcement, funding, and payBatch per holder for several batch sizes,
 * against the fixed gas limit payout-dividends gives each batch (src/corporate/payout/dividends.ts). What
 * docs/payouts.md reports.
 *
 *   npx tsx bench/payout-gas.ts
 *
 * Holders are random new addresses (each new to the payout currency: the expensive case), on an
 * unrestricted token (no KYC check) and a restricted one (payout KYC-only, every holder whitelisted).
 */
import { sqliteOnly } from "../src/db/database";
import { prepareDistribution, type DistributionInputRow } from "../src/distribution";
import { prepareDividends, payBatchGas } from "../src/corporate/payout/dividends";
import { preparePayoutApprove, preparePayoutDeposit } from "../src/corporate/payout/funding";
import { preparePayoutDeploy } from "../src/corporate/payout/deploy";
import { prepareWhitelist } from "../src/token/kyc";
import { prepareTransactions } from "../src/tx/prepare";
import { prepareVotingDeploy } from "../src/corporate/voting/deploy";
import { benchWorld, randomAddresses } from "./world";

const BATCH_SIZES = [1, 10, 100, 250];
const HOLDERS = 250;
const fmt = (gas: bigint | number): string => gas.toLocaleString("en-US");

function gasOf(world: Awaited<ReturnType<typeof benchWorld>>, ids: number[]): { used: bigint; limit: bigint }[] {
  return ids.map((id) => {
    const row = sqliteOnly(world.env.db, "the bench").sqlite.prepare("SELECT gas_used, gas_limit, status FROM prepared_transactions WHERE id = ?").get(id) as { gas_used: string; gas_limit: string; status: string };
    if (row.status !== "success") throw new Error(`transaction ${id} ${row.status}`);
    return { used: BigInt(row.gas_used), limit: BigInt(row.gas_limit) };
  });
}

async function scenario(restricted: boolean): Promise<void> {
  const world = await benchWorld({ restricted });
  try {
    const holders = randomAddresses(HOLDERS);
    if (world.kyc) {
      for (let start = 0; start < holders.length; start += 300) await prepareWhitelist(world.env, world.kyc, holders.slice(start, start + 300));
      await world.settle();
    }
    const rows: DistributionInputRow[] = holders.map((address, index) => ({ row: index + 2, externalId: `h${index}`, email: "", name: "", address, amount: `${(index % 97) + 1}.25` }));
    await prepareDistribution(world.env, { tokenAddress: world.token, rows, origin: { kind: "csv", file: "bench" }, batchSize: 250 });
    // A currency per payout, so every holder is new to the currency it is paid in (the dearer case).
    const currencies: string[] = [];
    await prepareTransactions(world.env, (builder) => {
      for (const size of BATCH_SIZES) currencies.push(builder.deploy("CrowdsaleToken", [], `payout currency ${size}`));
    });
    await world.settle();

    const now = (await world.env.provider.getBlock("latest"))?.timestamp ?? 0;
    const announcement = { type: 0n, uri: "https://example.com/dividend-2024", contentHash: `0x${"11".repeat(32)}` };
    // One payout per batch size, all on the same record date: each pays every holder afresh.
    const payouts: string[] = [];
    let checkpointId: bigint | undefined;
    const lines: string[] = [];
    for (const [index, size] of BATCH_SIZES.entries()) {
      const deployed = await preparePayoutDeploy(world.env, {
        tokenAddress: world.token,
        payoutTokenAddress: currencies[index],
        name: `Dividend ${size}`,
        announcement,
        checkpointId,
        expiry: now + 86_400 * 365,
        includeIssuer: false,
      });
      checkpointId = deployed.recordDate.checkpointId;
      payouts.push(deployed.payoutAddress);
      const approve = await preparePayoutApprove(world.env, { payoutAddress: deployed.payoutAddress, amount: "1000000" });
      await world.settle();
      const deposit = await preparePayoutDeposit(world.env, deployed.payoutAddress);
      await world.settle();
      if (size === BATCH_SIZES[0]) {
        const [checkpoint, payoutDeployment, announce] = gasOf(world, deployed.prepared.map((row) => row.id));
        const [approveGas] = gasOf(world, approve.prepared.map((row) => row.id));
        const [depositGas] = gasOf(world, deposit.prepared.map((row) => row.id));
        lines.push(`| checkpoint | ${fmt(checkpoint.used)} | ${fmt(checkpoint.limit)} |`);
        lines.push(`| deploy Payout with its checkpoint (one excluded address${restricted ? ", KYC" : ""}) | ${fmt(payoutDeployment.used)} | ${fmt(payoutDeployment.limit)} |`);
        lines.push(`| announce | ${fmt(announce.used)} | ${fmt(announce.limit)} |`);
        lines.push(`| approve | ${fmt(approveGas.used)} | ${fmt(approveGas.limit)} |`);
        lines.push(`| fundFromAllowance | ${fmt(depositGas.used)} | ${fmt(depositGas.limit)} |`);
      }
    }
    console.log(`\n### ${restricted ? "Restricted token, KYC-only payout" : "Unrestricted token, payout open to every holder"}\n`);
    console.log("| Operation | Gas used | Gas limit |");
    console.log("|---|---:|---:|");
    for (const line of lines) console.log(line);

    console.log("\n| payBatch of | Gas used | Per holder | Gas limit | Used / limit |");
    console.log("|---:|---:|---:|---:|---:|");
    for (const [index, size] of BATCH_SIZES.entries()) {
      const result = await prepareDividends(world.env, payouts[index], { batchSize: size });
      await world.settle();
      const [first] = gasOf(world, [result.prepared[0].id]);
      const paid = result.plan.batches[0].length;
      if (first.limit !== payBatchGas(paid)) throw new Error("unexpected limit");
      console.log(`| ${paid} | ${fmt(first.used)} | ${fmt(first.used / BigInt(paid))} | ${fmt(first.limit)} | ${((Number(first.used) / Number(first.limit)) * 100).toFixed(0)}% |`);
    }
    const rerun = await prepareDividends(world.env, payouts[payouts.length - 1], { batchSize: 100 });
    console.log(`\nRe-run after everyone is paid: ${rerun.prepared.length} transactions prepared.`);

    const voting = await prepareVotingDeploy(world.env, {
      tokenAddress: world.token,
      name: "Approve the annual accounts",
      options: [],
      announcement,
      endTime: now + 86_400 * 30,
      includeIssuer: false,
    });
    await world.settle();
    const [, votingDeployment] = gasOf(world, voting.prepared.map((row) => row.id));
    console.log(`\ndeploy Voting with its checkpoint (3 options, one excluded address${restricted ? ", KYC" : ""}): ${fmt(votingDeployment.used)} gas (limit ${fmt(votingDeployment.limit)})`);
  } finally {
    await world.close();
  }
}

async function main(): Promise<void> {
  await scenario(false);
  await scenario(true);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
