/**
 * The gas scenarios behind docs/gas.md, shared by `bench/gas.ts` (prints the tables) and
 * `test/contracts/gas.test.ts` (fails when a target is missed).
 */
import { Wallet, ZeroAddress, parseUnits, type Contract, type ContractTransactionResponse } from "ethers";
import { as, mined, type TestChain } from "../src/devtools/test-chain";

export const BATCH = 100;

export interface TransferRow {
  scenario: string;
  /** OpenZeppelin ERC20 transfer in the same situation, when it has one. */
  oz?: bigint;
  sto: bigint;
}

export interface BatchRow {
  scenario: string;
  total: bigint;
  perReceiver: bigint;
}

export interface GasFigures {
  transfers: {
    newHolder: TransferRow;
    existingHolder: TransferRow;
    newHolderWithCheckpoints: TransferRow;
    existingHolderWithCheckpoints: TransferRow;
    existingHolderRightAfterCheckpoint: TransferRow;
    newHolderRightAfterCheckpoint: TransferRow;
    restrictedNewHolder: TransferRow;
    restrictedExistingHolder: TransferRow;
    kycExistingHolder: TransferRow;
    kycNewHolder: TransferRow;
  };
  batches: {
    newHolders: BatchRow;
    existingHolders: BatchRow;
    existingHoldersRightAfterCheckpoint: BatchRow;
    newHoldersWithCheckpoints: BatchRow;
    existingHoldersWithCheckpoints: BatchRow;
    restrictedNewHolders: BatchRow;
    restrictedExistingHolders: BatchRow;
  };
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

function batchRow(scenario: string, total: bigint): BatchRow {
  return { scenario, total, perReceiver: total / BigInt(BATCH) };
}

/** Runs every scenario on `chain` (a fresh test chain) and returns receipt gasUsed figures. */
export async function measureGas(chain: TestChain): Promise<GasFigures> {
  const [issuer, holder] = chain.signers;
  const amount = parseUnits("123.45", 18);

  const unrestricted = await chain.deploy("UnrestrictedTransferAgent");
  const kyc = await chain.deploy("BasicKYC");
  const restricted = await chain.deploy("RestrictedTransferAgent", [await kyc.getAddress()]);
  const plain = await chain.deploy("PlainERC20", ["Plain", "PLN"]);
  await mined(plain.mint(issuer.address, parseUnits("1000000000", 18)));

  // ------------------------------------------------------------ single transfers
  const token = await securityToken(chain, unrestricted);
  const [warm, newA, newB, newC] = freshAddresses(4, 1);
  // Both senders have sent before, so the sender's slot is in the same state for both tokens.
  await mined(plain.transfer(warm, amount));
  await mined(token.transfer(warm, amount));
  await mined(token.transfer(holder.address, amount));

  const newHolder: TransferRow = {
    scenario: "to a new holder, no checkpoint taken",
    oz: await gasOf(plain.transfer(newA, amount)),
    sto: await gasOf(token.transfer(newA, amount)),
  };
  const existingHolder: TransferRow = {
    scenario: "to an existing holder, no checkpoint taken",
    oz: await gasOf(plain.transfer(warm, amount)),
    sto: await gasOf(token.transfer(warm, amount)),
  };

  await mined(token.checkpoint());
  const existingRightAfter = await gasOf(token.transfer(warm, amount)); // both sides record
  const newRightAfter = await gasOf(as(token, holder).transfer(newB, amount)); // the sender records
  const newHolderWithCheckpoints: TransferRow = {
    scenario: "to a new holder, checkpoints exist, none since the sender last changed",
    oz: await gasOf(plain.transfer(newC, amount)),
    sto: await gasOf(token.transfer(newC, amount)),
  };
  const existingHolderWithCheckpoints: TransferRow = {
    scenario: "to an existing holder, checkpoints exist, none since either side last changed",
    oz: await gasOf(plain.transfer(warm, amount)),
    sto: await gasOf(token.transfer(warm, amount)),
  };

  // ------------------------------------------------------------ restricted token, everyone whitelisted
  const restrictedToken = await securityToken(chain, restricted);
  const [rWarm, rNew] = freshAddresses(2, 2);
  await mined(kyc.addToWhitelistBatch([issuer.address, rWarm, rNew]));
  await mined(restrictedToken.transfer(rWarm, amount));
  const restrictedNewHolder: TransferRow = {
    scenario: "restricted: to a new whitelisted holder, no checkpoint taken",
    oz: newHolder.oz,
    sto: await gasOf(restrictedToken.transfer(rNew, amount)),
  };
  const restrictedExistingHolder: TransferRow = {
    scenario: "restricted: to an existing whitelisted holder, no checkpoint taken",
    oz: existingHolder.oz,
    sto: await gasOf(restrictedToken.transfer(rWarm, amount)),
  };

  // ------------------------------------------------------------ kyc token: every costly rule active
  // A kyc-mode token (investor registry read once per transfer) with a class rule, a holder count
  // and limit, a max balance, and a sender that holds a lock-up tranche that has not been released.
  const registry = await chain.deploy("BasicKYC");
  const kycToken = await chain.deploy("SecurityToken", ["Bench KYC Corp", "BKYC", "https://example.com"]);
  const [kSender, kWarm, kNew] = [chain.signers[2], ...freshAddresses(2, 11)];
  const inAYear = (await chain.latestTimestamp()) + 365 * 24 * 60 * 60;
  await mined(registry.setInvestorBatch([issuer.address, kSender.address, kWarm, kNew], 2, 840, inAYear));
  await mined(
    kycToken.initializeCompliance(1, await registry.getAddress(), parseUnits("2000000000", 18), 0b110, 0, true, 2000, 0),
  );
  await mined(kycToken.issueTokens(parseUnits("1000000000", 18)));
  await mined(kycToken.transferWithLockup(kSender.address, amount * 10n, inAYear));
  await mined(kycToken.transfer(kSender.address, amount * 10n));
  await mined(kycToken.transfer(kWarm, amount));
  await mined(as(kycToken, kSender).transfer(kWarm, amount)); // the sender has sent before
  const kycExistingHolder: TransferRow = {
    scenario: "kyc mode, class rule, holder limit, sender with a lock-up tranche: to an existing holder",
    oz: existingHolder.oz,
    sto: await gasOf(as(kycToken, kSender).transfer(kWarm, amount)),
  };
  const kycNewHolder: TransferRow = {
    scenario: "kyc mode, same rules: to a new holder (the holder count changes)",
    oz: newHolder.oz,
    sto: await gasOf(as(kycToken, kSender).transfer(kNew, amount)),
  };

  // ------------------------------------------------------------ batches, unrestricted token
  const batchToken = await securityToken(chain, unrestricted);
  await mined(batchToken.transfer(warm, amount)); // the sender has sent before
  const values = Array.from({ length: BATCH }, (_, i) => parseUnits(String(100 + i), 18));
  const receivers = freshAddresses(BATCH, 3);
  const newHolders = batchRow("new holders, no checkpoint taken", await gasOf(batchToken.batchTransfer(receivers, values)));
  const existingHolders = batchRow(
    "existing holders, no checkpoint taken",
    await gasOf(batchToken.batchTransfer(receivers, values)),
  );
  await mined(batchToken.checkpoint());
  const existingHoldersRightAfterCheckpoint = batchRow(
    "existing holders right after a checkpoint (every receiver and the sender record history)",
    await gasOf(batchToken.batchTransfer(receivers, values)),
  );
  const newHoldersWithCheckpoints = batchRow(
    "new holders, checkpoints exist, none since the sender last changed",
    await gasOf(batchToken.batchTransfer(freshAddresses(BATCH, 4), values)),
  );
  const existingHoldersWithCheckpoints = batchRow(
    "existing holders, checkpoints exist, none since they last changed",
    await gasOf(batchToken.batchTransfer(receivers, values)),
  );

  // ------------------------------------------------------------ batches, restricted token
  const restrictedReceivers = freshAddresses(BATCH, 5);
  await mined(kyc.addToWhitelistBatch(restrictedReceivers));
  const restrictedNewHolders = batchRow(
    "restricted: new whitelisted holders, no checkpoint taken",
    await gasOf(restrictedToken.batchTransfer(restrictedReceivers, values)),
  );
  const restrictedExistingHolders = batchRow(
    "restricted: existing whitelisted holders, no checkpoint taken",
    await gasOf(restrictedToken.batchTransfer(restrictedReceivers, values)),
  );

  return {
    transfers: {
      newHolder,
      existingHolder,
      newHolderWithCheckpoints,
      existingHolderWithCheckpoints,
      existingHolderRightAfterCheckpoint: {
        scenario: "to an existing holder right after a checkpoint (both sides record history)",
        sto: existingRightAfter,
      },
      newHolderRightAfterCheckpoint: {
        scenario: "to a new holder right after a checkpoint (the sender records history)",
        sto: newRightAfter,
      },
      restrictedNewHolder,
      restrictedExistingHolder,
      kycExistingHolder,
      kycNewHolder,
    },
    batches: {
      newHolders,
      existingHolders,
      existingHoldersRightAfterCheckpoint,
      newHoldersWithCheckpoints,
      existingHoldersWithCheckpoints,
      restrictedNewHolders,
      restrictedExistingHolders,
    },
  };
}

/** Overhead of the SecurityToken over the OZ figure, in percent. */
export function overheadPercent(row: TransferRow): number | undefined {
  if (row.oz === undefined) return undefined;
  return ((Number(row.sto) - Number(row.oz)) / Number(row.oz)) * 100;
}

export interface OperationRow {
  operation: string;
  gas: bigint;
}

async function deployGas(chain: TestChain, name: string, args: readonly unknown[] = []): Promise<[Contract, bigint]> {
  const { contract, receipt } = await chain.deployWithReceipt(name, args);
  return [contract, receipt.gasUsed];
}

/**
 * Gas of the other operations the CLI prepares (deployments and issuer actions), for choosing
 * gas limits of transactions that cannot be estimated when prepared.
 */
export async function measureOperations(chain: TestChain): Promise<OperationRow[]> {
  const [issuer, alice, bob, carol] = chain.signers;
  const rows: OperationRow[] = [];
  const add = (operation: string, gas: bigint): void => {
    rows.push({ operation, gas });
  };
  const amount = parseUnits("100", 18);

  const [first, firstGas] = await deployGas(chain, "SecurityToken", ["Moo Corporation", "MOO", "https://example.com/moo", ZeroAddress]);
  add("deploy SecurityToken creating its SecurityTokenExtension (the first token of a network)", firstGas);
  const [token, tokenGas] = await deployGas(chain, "SecurityToken", [
    "Moo Corporation",
    "MOO",
    "https://example.com/moo",
    await first.getFunction("extension")(),
  ]);
  add("deploy SecurityToken sharing an earlier token's extension", tokenGas);
  const [, extensionGas] = await deployGas(chain, "SecurityTokenExtension");
  add("deploy SecurityTokenExtension on its own", extensionGas);
  const [unrestricted, unrestrictedGas] = await deployGas(chain, "UnrestrictedTransferAgent");
  add("deploy UnrestrictedTransferAgent", unrestrictedGas);
  const [kyc, kycGas] = await deployGas(chain, "BasicKYC");
  add("deploy BasicKYC", kycGas);
  const [restricted, restrictedGas] = await deployGas(chain, "RestrictedTransferAgent", [await kyc.getAddress()]);
  add("deploy RestrictedTransferAgent", restrictedGas);

  add("setTransferVerifier (restricted agent)", await gasOf(token.setTransferVerifier(await restricted.getAddress())));
  add("setTransferVerifier (unrestricted agent)", await gasOf(token.setTransferVerifier(await unrestricted.getAddress())));
  add("issueTokens, first issuance", await gasOf(token.issueTokens(parseUnits("1000000", 18))));
  add("addToWhitelist", await gasOf(kyc.addToWhitelist(alice.address)));
  const whitelistBatch = await gasOf(kyc.addToWhitelistBatch(freshAddresses(BATCH, 7)));
  add(`addToWhitelistBatch of ${BATCH}, per address`, whitelistBatch / BigInt(BATCH));
  add("removeFromWhitelist", await gasOf(kyc.removeFromWhitelist(alice.address)));
  await mined(token.batchTransfer([alice.address, bob.address, carol.address], [amount, amount, amount]));
  add("checkpoint", await gasOf(token.checkpoint()));
  add("issueTokens, first after a checkpoint", await gasOf(token.issueTokens(amount)));
  add("burnTokens", await gasOf(token.burnTokens(amount)));
  add(
    "forceTransfer of a whole balance to a new address, first change after a checkpoint",
    await gasOf(token.forceTransfer(alice.address, freshAddresses(1, 8)[0], amount, "Lost key, ticket 42")),
  );
  add(
    "announce (name, URI and hash)",
    await gasOf(token.announce(freshAddresses(1, 9)[0], 1n, "Dividend 2024", "https://example.com/dividend-2024", `0x${"ab".repeat(32)}`)),
  );

  // Payout: a checkpoint with BATCH holders, a currency, funding, a claim and a pushed batch.
  const holders = freshAddresses(BATCH + 1, 10);
  await mined(token.batchTransfer(holders, holders.map(() => amount)));
  await mined(token.checkpoint());
  const checkpointId = (await token.currentCheckpointId()) as bigint;
  const [cash] = await deployGas(chain, "CrowdsaleToken");
  const expiry = (await chain.latestTimestamp()) + 30 * 24 * 60 * 60;
  const [payout, payoutGas] = await deployGas(chain, "Payout", [
    await token.getAddress(),
    checkpointId,
    await cash.getAddress(),
    await kyc.getAddress(),
    expiry,
    "Dividend 2024",
    [issuer.address],
  ]);
  add("deploy Payout (KYC, one excluded address)", payoutGas);
  await mined(kyc.addToWhitelistBatch(holders));
  add("approve (CrowdsaleToken, for payout-approve)", await gasOf(cash.approve(await payout.getAddress(), parseUnits("50000", 18))));
  add("Payout.fundFromAllowance", await gasOf(payout.fundFromAllowance()));
  const batchGas = await gasOf(payout.payBatch(holders.slice(0, BATCH)));
  add(`Payout.payBatch of ${BATCH} (KYC), per holder`, batchGas / BigInt(BATCH));
  add(`Payout.payBatch re-run of the same ${BATCH}, per holder (all skipped)`, (await gasOf(payout.payBatch(holders.slice(0, BATCH)))) / BigInt(BATCH));

  const [voting, votingGas] = await deployGas(chain, "Voting", [
    await token.getAddress(),
    checkpointId,
    await kyc.getAddress(),
    expiry,
    "Approve the 2024 accounts?",
    ["Yes", "No", "Abstain"],
    [issuer.address],
  ]);
  add("deploy Voting (3 options, KYC, one excluded address)", votingGas);
  await mined(kyc.addToWhitelistBatch([bob.address, carol.address]));
  add("Voting.vote, first vote (initialises the totals)", await gasOf(as(voting, bob).vote(0n)));
  add("Voting.vote, a later vote for the same option", await gasOf(as(voting, carol).vote(0n)));
  return rows;
}
