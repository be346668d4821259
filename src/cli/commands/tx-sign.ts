import fs from "node:fs";
import readline from "node:readline";
import type { Command } from "commander";
import { formatEther, formatUnits } from "ethers";
import { StoError } from "../../errors";
import { readInputText, writeOutputFile } from "../../files";
import { TransactionDecoder, type DecodedTransaction } from "../../offline/decode";
import { parseUnsignedFile, signUnsignedFile } from "../../offline/files";
import { action } from "../action";
import type { Output } from "../output";
import { counted } from "../../input/words";

export function register(program: Command): void {
  program
    .command("tx-sign")
    .description(
      "Sign a file written by tx-export, with no node and no database: for an offline machine that holds the key. Write the signed file for tx-import on the networked machine.\n\nShows what each transaction does, decoded from the bytes it signs (deployment or call, contract, function and arguments, ether value, chain id, nonce, fees) — the notes come from the exporting machine and are shown as untrusted text — and asks for confirmation on a terminal; --yes signs without asking (for scripts). Without a terminal and without --yes it stops.",
    )
    .requiredOption("--input <file>", "unsigned transactions from tx-export")
    .requiredOption("--output <file>", "signed transactions for tx-import")
    .option("--force", "overwrite the output file")
    .option("--yes", "sign without asking for confirmation (the decoded transactions are still printed)")
    .action(
      action(async (ctx, options: { input: string; output: string; force?: boolean; yes?: boolean }) => {
        const text = readInputText(options.input, "transaction file", `--input ${options.input}`);
        if (fs.existsSync(options.output) && !options.force) throw new StoError(`--output ${options.output}: the file exists (use --force to overwrite)`);
        const unsigned = parseUnsignedFile(text, options.input);
        // Deliberately no ctx.chain() and no ctx.db(): this runs where there is no network.
        const signer = await ctx.signer();
        const decoder = new TransactionDecoder(ctx.artifacts());
        const decoded = unsigned.transactions.map((entry) => decoder.decode(entry));
        const unknown = decoded.filter((transaction) => transaction.unknown !== undefined).length;
        // Shown even with --quiet: this is what the key is about to approve.
        ctx.out.result(`${counted(decoded.length, "transaction")} of ${unsigned.from} for chain id ${unsigned.chainId} (network ${unsigned.network}), as decoded from the bytes to be signed:`);
        decoded.forEach((transaction, index) => printDecoded(ctx.out, transaction, index, decoded.length));
        const total = decoded.reduce((sum, transaction) => sum + transaction.maxCostWei, 0n);
        ctx.out.result(`At most ${formatEther(total)} ether in all (gas at the highest fees, plus values).`);
        if (unknown > 0) ctx.out.warn(`${unknown} of the transactions could not be decoded: signing them is signing blind`);
        if (!options.yes) {
          if (ctx.out.json) throw new StoError("with --json, give --yes: the decoded transactions are part of the JSON document, which is written after signing");
          await confirm(ctx.out, decoded.length);
        }
        const signed = signUnsignedFile(unsigned, signer.wallet);
        writeOutputFile(options.output, `${JSON.stringify(signed, null, 2)}\n`, `--output ${options.output}`);
        ctx.out.result(`Signed ${counted(signed.transactions.length, "transaction")} of ${signed.from} for chain id ${signed.chainId} into ${options.output}`);
        ctx.out.data({
          output: options.output,
          from: signed.from,
          chainId: signed.chainId,
          transactions: signed.transactions.map(({ id, nonce, hash, note }, index) => ({ id, nonce, hash, note, decoded: decoded[index] })),
        });
      }),
    );
}

function printDecoded(out: Output, transaction: DecodedTransaction, index: number, count: number): void {
  out.result("");
  out.result(`Transaction ${index + 1} of ${count}: nonce ${transaction.nonce}`);
  if (transaction.kind === "deployment") {
    out.result(`  deploys   ${transaction.contract ?? "an unknown contract"}${transaction.function ? ` ${transaction.function}` : ""}`);
  } else if (transaction.kind === "transfer of ether") {
    out.result(`  sends ether to ${transaction.to ?? ""} (no call data)`);
  } else {
    const target = transaction.contract ? `${transaction.contract}.${transaction.function ?? "?"}` : "an unknown function";
    out.result(`  calls     ${target}`);
    out.result(`  on        ${transaction.to ?? ""}`);
  }
  if (transaction.unknown) out.result(`  UNKNOWN   ${transaction.unknown}`);
  for (const argument of transaction.arguments) out.result(`    ${argument.name} (${argument.type}) = ${argument.value}`);
  out.result(`  ether     ${formatEther(transaction.valueWei)}`);
  const fees =
    transaction.gasPrice !== undefined
      ? `gas price ${formatUnits(transaction.gasPrice, "gwei")} gwei`
      : `max fee ${formatUnits(transaction.maxFeePerGas ?? 0n, "gwei")} gwei, priority fee ${formatUnits(transaction.maxPriorityFeePerGas ?? 0n, "gwei")} gwei`;
  out.result(`  gas       limit ${transaction.gasLimit}, ${fees} (at most ${formatEther(transaction.maxCostWei)} ether)`);
  out.result(`  note      ${JSON.stringify(transaction.note)} (written by the exporting machine, not verified)`);
}

/** Asks on the terminal; without one, signing needs --yes. */
async function confirm(out: Output, count: number): Promise<void> {
  if (!process.stdin.isTTY || !(process.stderr as NodeJS.WriteStream).isTTY) {
    throw new StoError("tx-sign asks before it signs, and there is no terminal to ask on: read the transactions above and give --yes to sign them");
  }
  const rl = readline.createInterface({ input: process.stdin, output: out.errorStream });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`Sign ${count === 1 ? "this transaction" : `these ${count} transactions`}? [y/N] `, resolve));
    if (!/^y(es)?$/i.test(answer.trim())) throw new StoError("not signed: nothing was written");
  } finally {
    rl.close();
  }
}
