/**
 * Gas figures for docs/gas.md. Run from the repository root after compiling:
 *
 *   npx hardhat compile && npx tsx bench/gas.ts
 *
 * Deploys a plain OpenZeppelin 5 ERC-20 (contracts/test/PlainERC20.sol) and SecurityTokens with the
 * UnrestrictedTransferAgent (and the RestrictedTransferAgent with everyone whitelisted) on the
 * in-process Hardhat chain (cancun, solc 0.8.28, optimizer 200 runs) and prints markdown tables.
 * Figures are receipt `gasUsed`: they include the 21,000 base cost and calldata. Batch figures per
 * receiver are the whole transaction divided by the number of receivers (base cost included).
 */
import { Wallet, parseUnits, type Contract, type ContractTransactionResponse } from "ethers";
import { as, mined, startTestChain, type TestChain } from "../test/helpers/chain";

const BATCH = 100;

interface Row {
  scenario: string;
  oz?: bigint;
  sto?: bigint;
}

/** Deterministic addresses that never held anything. */
function freshAddresses(count: number, seed: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => new Wallet(`0x${(seed * 1_000_000 + i + 1).toString(16).padStart(64, "0")}`).address,
  );
}

async function gasOf(sent: Promise<ContractTransactionResponse>): Promise<bigint> {
  return (await mined(sent)).gasUsed;
}

async function securityToken(chain: TestChain, verifier: Contract): Promise<Contract> {
  const token = await chain.deploy("SecurityToken", ["Bench Corp", "BENCH", "https://example.com"]);
  await mined(token.setTransferVerifier(await verifier.getAddress()));
  await mined(token.issueTokens(parseUnits("1000000000", 18)));
  return token;
}

const fmt = (gas?: bigint): string => (gas === undefined ? "" : gas.toLocaleString("en-US"));
const pct = (row: Row): string =>
  row.oz && row.sto ? `${(((Number(row.sto) - Number(row.oz)) / Number(row.oz)) * 100).toFixed(1)}%` : "";

async function main(): Promise<void> {
  const chain = await startTestChain();
  try {
    const [issuer, holder] = chain.signers;
    const amount = parseUnits("123.45", 18);
    const rows: Row[] = [];

    const unrestricted = await chain.deploy("UnrestrictedTransferAgent");
    const kyc = await chain.deploy("BasicKYC");
    const restricted = await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()]);
    const plain = await chain.deploy("PlainERC20", ["Plain", "PLN"]);
    await mined(plain.mint(issuer.address, parseUnits("1000000000", 18)));

    // ------------------------------------------------------------ single transfers
    const token = await securityToken(chain, unrestricted);
    const [warm, newA, newB, newC, newD] = freshAddresses(5, 1);
    // Both senders have sent before, so the sender's slot is in the same state for both tokens.
    await mined(plain.transfer(warm, amount));
    await mined(token.transfer(warm, amount));
    await mined(token.transfer(holder.address, amount));

    rows.push({
      scenario: "to a new holder, no checkpoint taken",
      oz: await gasOf(plain.transfer(newA, amount)),
      sto: await gasOf(token.transfer(newA, amount)),
    });
    rows.push({
      scenario: "to an existing holder, no checkpoint taken",
      oz: await gasOf(plain.transfer(warm, amount)),
      sto: await gasOf(token.transfer(warm, amount)),
    });

    await mined(token.checkpoint());
    const existingRightAfter = await gasOf(token.transfer(warm, amount)); // both sides record
    const newRightAfter = await gasOf(as(token, holder).transfer(newB, amount)); // sender records
    rows.push({
      scenario: "to a new holder, checkpoints exist, none since the sender last changed",
      oz: await gasOf(plain.transfer(newC, amount)),
      sto: await gasOf(token.transfer(newC, amount)),
    });
    rows.push({
      scenario: "to an existing holder, checkpoints exist, none since either side last changed",
      oz: await gasOf(plain.transfer(warm, amount)),
      sto: await gasOf(token.transfer(warm, amount)),
    });
    rows.push({ scenario: "to an existing holder right after a checkpoint (both sides record history)", sto: existingRightAfter });
    rows.push({ scenario: "to a new holder right after a checkpoint (the sender records history)", sto: newRightAfter });
    void newD;

    // ------------------------------------------------------------ restricted token, everyone whitelisted
    const restrictedToken = await securityToken(chain, restricted);
    const [rWarm, rNew] = freshAddresses(2, 2);
    await mined(kyc.addToWhitelistBatch([issuer.address, rWarm, rNew]));
    await mined(restrictedToken.transfer(rWarm, amount));
    rows.push({
      scenario: "restricted: to a new whitelisted holder, no checkpoint taken",
      oz: rows[0].oz,
      sto: await gasOf(restrictedToken.transfer(rNew, amount)),
    });
    rows.push({
      scenario: "restricted: to an existing whitelisted holder, no checkpoint taken",
      oz: rows[1].oz,
      sto: await gasOf(restrictedToken.transfer(rWarm, amount)),
    });

    console.log("### transfer()\n");
    console.log("| Scenario | OZ ERC20 | SecurityToken | Overhead |");
    console.log("|---|---:|---:|---:|");
    for (const row of rows) console.log(`| ${row.scenario} | ${fmt(row.oz)} | ${fmt(row.sto)} | ${pct(row)} |`);

    // ------------------------------------------------------------ batches, unrestricted token
    const batchToken = await securityToken(chain, unrestricted);
    await mined(batchToken.transfer(warm, amount)); // the sender has sent before
    const values = Array.from({ length: BATCH }, (_, i) => parseUnits(String(100 + i), 18));
    const receivers = freshAddresses(BATCH, 3);
    const batches: Array<[string, bigint]> = [];
    batches.push(["new holders, no checkpoint taken", await gasOf(batchToken.batchTransfer(receivers, values))]);
    batches.push(["existing holders, no checkpoint taken", await gasOf(batchToken.batchTransfer(receivers, values))]);
    await mined(batchToken.checkpoint());
    batches.push([
      "existing holders right after a checkpoint (every receiver and the sender record history)",
      await gasOf(batchToken.batchTransfer(receivers, values)),
    ]);
    batches.push([
      "new holders, checkpoints exist, none since the sender last changed",
      await gasOf(batchToken.batchTransfer(freshAddresses(BATCH, 4), values)),
    ]);
    batches.push([
      "existing holders, checkpoints exist, none since they last changed",
      await gasOf(batchToken.batchTransfer(receivers, values)),
    ]);

    console.log(`\n### batchTransfer() of ${BATCH} receivers, unrestricted token\n`);
    console.log("| Scenario | Transaction gas | Per receiver |");
    console.log("|---|---:|---:|");
    for (const [scenario, gas] of batches) {
      console.log(`| ${scenario} | ${fmt(gas)} | ${fmt(gas / BigInt(BATCH))} |`);
    }
  } finally {
    await chain.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
