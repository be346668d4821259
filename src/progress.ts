/**
 * How a service reports progress of long counted work (`done` of `total` items of `unit`, e.g.
 * "Preparing", 3000, 10000, "transactions") without knowing about terminals: the CLI draws it as a
 * progress bar when stderr is one (src/cli/progress.ts), and ignores it otherwise.
 */
export type ProgressListener = (what: string, done: number, total: number, unit: string) => void;
