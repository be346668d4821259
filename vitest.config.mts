import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ and artifacts/ when src/ or contracts/ changed since (the CLI under test runs from them).
    // It also gives the run its own TMPDIR and fails the run if a temporary file or a process outlives it.
    globalSetup: ["test/global-setup.ts"],
    // Removes each test file's temporary folders and kills its child processes, also after a failure.
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: files that each start a chain and spawn CLI processes run two at a time.
    fileParallelism: true,
    maxWorkers: 2,
    pool: "forks",
  },
});
