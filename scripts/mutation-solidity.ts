/**
 * `npm run test:mutation -- solidity [--only ID,ID]`: targeted mutation testing of the contracts'
 * balance, checkpoint and compliance logic. Each mutant below is one operator swap or one removed
 * check on contracts/*.sol, chosen where a wrong operator would lose, invent or wrongly allow shares;
 * it is a budget, not every possible mutant. For each: the mutated file goes into a copy of the
 * project (.mutation-solidity/, never the working tree), is compiled with the project's solc npm build
 * (hardhat compile), and its contract tests run; the mutant is killed when a test fails. A mutant that
 * does not compile is reported and not counted.
 */
import fs from "node:fs";
import path from "node:path";
import { onSignalExit, runGrouped } from "./process-group";

const ROOT = path.resolve(__dirname, "..");
const SANDBOX = path.join(ROOT, ".mutation-solidity");
const REPORT = path.join(ROOT, "reports", "mutation", "solidity.json");

interface SolidityMutant {
  id: string;
  file: string;
  /** The exact text replaced; it must occur `occurrence` times at least (the first unless said). */
  from: string;
  to: string;
  occurrence?: number;
  /** The contract test files run against the mutant. */
  tests: string[];
}

const TOKEN_TESTS = ["test/contracts/security-token.test.ts"];
const CHECKPOINT_TESTS = ["test/contracts/checkpoints.test.ts"];
const COMPLIANCE_TESTS = ["test/contracts/compliance.test.ts", "test/contracts/compliance-model.test.ts"];
const BASE = "contracts/SecurityTokenBase.sol";
const TOKEN = "contracts/SecurityToken.sol";

export const MUTANTS: SolidityMutant[] = [
  // Balances
  { id: "debit-boundary", file: BASE, from: "if (balance < value) revert ERC20InsufficientBalance(account, balance, value);", to: "if (balance <= value) revert ERC20InsufficientBalance(account, balance, value);", tests: TOKEN_TESTS },
  { id: "debit-check-removed", file: BASE, from: "if (balance < value) revert ERC20InsufficientBalance(account, balance, value);", to: "", tests: TOKEN_TESTS },
  { id: "allowance-check-removed", file: BASE, from: "if (current < value) revert ERC20InsufficientAllowance(spender, current, value);", to: "", tests: TOKEN_TESTS },
  { id: "batch-balance-check-removed", file: TOKEN, from: "if (balance < total) revert ERC20InsufficientBalance(msg.sender, balance, total);", to: "", tests: TOKEN_TESTS },
  { id: "supply-cap-boundary", file: TOKEN, from: "current + value > cap", to: "current + value >= cap", tests: TOKEN_TESTS },
  { id: "holder-count-no-removal", file: BASE, from: "uint256(_holders.count) + added - removed", to: "uint256(_holders.count) + added", tests: COMPLIANCE_TESTS },
  // Checkpoints
  { id: "debit-no-history", file: BASE, from: "if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);", to: "", occurrence: 1, tests: CHECKPOINT_TESTS },
  { id: "credit-no-history", file: BASE, from: "if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);", to: "", occurrence: 2, tests: CHECKPOINT_TESTS },
  { id: "supply-no-history", file: TOKEN, from: "if (_recordedAt(supply) < checkpointId) supply = _record(supply, _supplyHistory, checkpointId);", to: "", occurrence: 1, tests: CHECKPOINT_TESTS },
  { id: "value-at-current-boundary", file: BASE, from: "if (checkpointId > _recordedAt(packed)) return packed & BALANCE_MASK;", to: "if (checkpointId >= _recordedAt(packed)) return packed & BALANCE_MASK;", tests: CHECKPOINT_TESTS },
  { id: "value-at-search-boundary", file: BASE, from: "if (history[mid].id < checkpointId) {", to: "if (history[mid].id <= checkpointId) {", tests: CHECKPOINT_TESTS },
  { id: "value-at-gap-boundary", file: BASE, from: "return entry.since < checkpointId ? entry.value : 0;", to: "return entry.since <= checkpointId ? entry.value : 0;", tests: CHECKPOINT_TESTS },
  { id: "nonexistent-checkpoint-boundary", file: BASE, from: "checkpointId > _settings.currentCheckpointId", to: "checkpointId >= _settings.currentCheckpointId", tests: CHECKPOINT_TESTS },
  { id: "record-zero-balance-skipped-wrongly", file: BASE, from: "if (balance != 0) {\n            history[length]", to: "if (balance == 0) {\n            history[length]", tests: CHECKPOINT_TESTS },
  // Compliance: holds, limits, KYC
  { id: "frozen-boundary", file: BASE, from: "if (value > unfrozen) return TOKENS_FROZEN;", to: "if (value >= unfrozen) return TOKENS_FROZEN;", tests: COMPLIANCE_TESTS },
  { id: "held-ignores-frozen", file: BASE, from: "frozenTokens + locked > balance - value", to: "locked > balance - value", tests: COMPLIANCE_TESTS },
  { id: "holder-limit-boundary", file: BASE, from: "h.count >= h.maxHolders", to: "h.count > h.maxHolders", tests: COMPLIANCE_TESTS },
  { id: "max-balance-boundary", file: BASE, from: "toBalance + value > _holders.maxBalance", to: "toBalance + value >= _holders.maxBalance", tests: COMPLIANCE_TESTS },
  { id: "kyc-expiry-boundary", file: BASE, from: "block.timestamp >= expiresAt) return RECEIVER_KYC_EXPIRED", to: "block.timestamp > expiresAt) return RECEIVER_KYC_EXPIRED", tests: COMPLIANCE_TESTS },
  { id: "batch-holder-limit-boundary", file: TOKEN, from: "count > h.maxHolders", to: "count >= h.maxHolders", tests: COMPLIANCE_TESTS },
  { id: "time-lock-removed", file: TOKEN, from: "if (block.timestamp < _modeParam(s) && !hasRole(ISSUER_ROLE, msg.sender)) revert TimeLocked(_modeParam(s));", to: "", tests: COMPLIANCE_TESTS },
  { id: "kyc-valid-boundary", file: "contracts/BasicKYC.sol", from: "block.timestamp < expiresAt", to: "block.timestamp <= expiresAt", tests: ["test/contracts/kyc.test.ts"] },
];

/** The source with the `occurrence`-th `from` replaced, or undefined when there is no such occurrence. */
export function applyMutant(source: string, mutant: Pick<SolidityMutant, "from" | "to" | "occurrence">): string | undefined {
  let at = -1;
  for (let seen = 0; seen < (mutant.occurrence ?? 1); seen++) {
    at = source.indexOf(mutant.from, at + 1);
    if (at === -1) return undefined;
  }
  return source.slice(0, at) + mutant.to + source.slice(at + mutant.from.length);
}

/** A copy of what the contract tests need, with the working tree's modification times (no rebuild). */
function makeSandbox(): void {
  fs.rmSync(SANDBOX, { recursive: true, force: true });
  fs.mkdirSync(SANDBOX);
  for (const entry of ["contracts", "src", "test", "artifacts", "cache", "dist", "bin", "drizzle", "hardhat.config.ts", "package.json", "tsconfig.json", "tsconfig.build.json", "vitest.config.mts"]) {
    if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(SANDBOX, entry), { recursive: true, preserveTimestamps: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(SANDBOX, "node_modules"));
}

function inSandbox(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return runGrouped(command, args, { cwd: SANDBOX, env: { ...process.env, NO_COLOR: "1" } });
}

const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
const VITEST = path.join(ROOT, "node_modules", "vitest", "vitest.mjs");

async function main(argv: string[]): Promise<number> {
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt === -1 ? undefined : new Set(argv[onlyAt + 1]?.split(","));
  const chosen = MUTANTS.filter((mutant) => only === undefined || only.has(mutant.id));
  if (chosen.length === 0) {
    console.error(`no mutant chosen: ids are ${MUTANTS.map((mutant) => mutant.id).join(", ")}`);
    return 2;
  }
  // The contracts must compile and their tests pass before any mutant means anything.
  const compiled = await runGrouped(process.execPath, [HARDHAT, "compile", "--quiet"], { cwd: ROOT, passThrough: true });
  if (compiled.code !== 0) return 1;
  onSignalExit(() => fs.rmSync(SANDBOX, { recursive: true, force: true }));
  makeSandbox();
  const results: { id: string; file: string; status: "killed" | "survived" | "compile error"; seconds: number }[] = [];
  try {
    for (const mutant of chosen) {
      const started = Date.now();
      const file = path.join(SANDBOX, mutant.file);
      const original = fs.readFileSync(file, "utf8");
      const mutated = applyMutant(original, mutant);
      if (mutated === undefined) throw new Error(`mutant ${mutant.id}: "${mutant.from}" not found in ${mutant.file} (the contract changed: update scripts/mutation-solidity.ts)`);
      fs.writeFileSync(file, mutated);
      let status: "killed" | "survived" | "compile error";
      try {
        const compile = await inSandbox(process.execPath, [HARDHAT, "compile", "--quiet"]);
        if (compile.code !== 0) status = "compile error";
        else {
          const test = await inSandbox(process.execPath, [VITEST, "run", "--bail", "1", ...mutant.tests]);
          status = test.code === 0 ? "survived" : "killed";
        }
      } finally {
        fs.writeFileSync(file, original);
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      results.push({ id: mutant.id, file: mutant.file, status, seconds });
      console.log(`${status.padEnd(13)} ${mutant.id} (${mutant.file}, ${mutant.tests.join(" ")}, ${seconds} s)`);
    }
  } finally {
    // Leave the sandbox's artifacts as the original contracts' (a later run copies afresh anyway).
    fs.rmSync(SANDBOX, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, `${JSON.stringify(results, null, 2)}\n`);
  console.log("\nSolidity mutation score per file (killed / compiled mutants):");
  for (const file of [...new Set(results.map((result) => result.file))]) {
    const ofFile = results.filter((result) => result.file === file && result.status !== "compile error");
    const killed = ofFile.filter((result) => result.status === "killed").length;
    const score = ofFile.length === 0 ? 0 : (100 * killed) / ofFile.length;
    console.log(`${file}: ${score.toFixed(1)} % (${killed} of ${ofFile.length})`);
    for (const survivor of ofFile.filter((result) => result.status === "survived")) console.log(`    survived: ${survivor.id}`);
  }
  const errors = results.filter((result) => result.status === "compile error");
  if (errors.length > 0) console.log(`not compiled (not counted): ${errors.map((result) => result.id).join(", ")}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
