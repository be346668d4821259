import { execFile } from "node:child_process";
import { killAfterFile } from "./cleanup";
import { STO_BIN } from "./cli";

/**
 * Runs sto under a pseudo-terminal (util-linux `script`), as a person at a terminal would; stdout
 * and stderr both arrive in the returned text (the terminal shows both). `columns` sets the
 * terminal's width (stty), as a window of that size would.
 */
export function runInTerminal(args: string[], env: NodeJS.ProcessEnv = terminalEnv(), options: { columns?: number } = {}): Promise<string> {
  const run = [process.execPath, STO_BIN, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(" ");
  const command = options.columns === undefined ? run : `stty cols ${options.columns} rows 50 && exec ${run}`;
  return new Promise((resolve, reject) => {
    killAfterFile(
      execFile("script", ["-qec", command, "/dev/null"], { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
  });
}

/** The test process's environment without NO_COLOR and sto's own variables. */
export function terminalEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NO_COLOR" && !key.startsWith("STO_")));
}

/** ESC [ K: erase to the end of the line, which the bar writes after each carriage return. */
const CLEAR_LINE = "\u001b[K";

/** The texts of the progress bar's redraws ("█░ 100% Broadcasting 3/3 transactions · ..."). */
export function progressDraws(output: string): string[] {
  return output
    .split("\r")
    .map((part) => (part.startsWith(CLEAR_LINE) ? part.slice(CLEAR_LINE.length) : part))
    .filter((part) => /^[█░]+ +\d+% /.test(part))
    .map((part) => part.split("\n")[0]);
}
