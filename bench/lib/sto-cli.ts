/** Runs the real `sto` executable (bin/sto over dist/) asynchronously, timed, with its resource report. */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { REPO_ROOT, STO_BIN } from "./node-process";

/** The sto executable measured: this repository's, or another build's (`--sto`, for before/after runs). */
let measuredBin = STO_BIN;

export function setMeasuredSto(bin: string): void {
  measuredBin = bin;
}

export interface StoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit, as a user would see it. */
  wallMs: number;
  /** The CLI's own report (STO_REPORT_RSS): peak RSS, module loading and command time. */
  maxRssKb: number;
  /** User and system CPU time of the whole process. */
  cpuMs: number;
  startupMs: number;
  commandMs: number;
}

/**
 * Spawns sto without blocking this process (the driver keeps serving its own work), with
 * STO_REPORT_RSS=1 so the CLI prints its peak memory and timings at exit. Fails on a non-zero exit.
 */
export function runSto(args: string[], env: NodeJS.ProcessEnv = {}, nodeOptions: string[] = []): Promise<StoRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const clean: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("STO_")) clean[key] = value;
    const child = spawn(process.execPath, [...nodeOptions, measuredBin, ...args], {
      cwd: REPO_ROOT,
      env: { ...clean, NO_COLOR: "1", STO_REPORT_RSS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      const match = /^sto-resources (.*)$/m.exec(stderr);
      if (code !== 0 || !match) {
        reject(new Error(`sto ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`));
        return;
      }
      const report = JSON.parse(match[1]) as { maxRssKb: number; cpuMs: number; startupMs: number; commandMs: number };
      resolve({ code, stdout, stderr, wallMs, ...report });
    });
  });
}
