import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/types";

/** The one compiler version the project builds with; it must equal the pinned `solc` npm package. */
export const SOLC_VERSION = "0.8.28";

// Hardhat would otherwise download the compiler list and a native solc build. We never reach the
// internet at build time: compile with the soljson.js shipped in the pinned `solc` npm package.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  const solcPackage = require("solc/package.json") as { version: string };
  if (args.solcVersion !== solcPackage.version) {
    throw new Error(
      `hardhat.config.ts asks for solc ${args.solcVersion} but the solc npm package is ${solcPackage.version}`,
    );
  }
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return {
    compilerPath,
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: require("solc").version() as string,
  };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: "./contracts",
    artifacts: "./artifacts",
    cache: "./cache",
    tests: "./test/contracts",
  },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "cancun",
    },
  },
};

export default config;
