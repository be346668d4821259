/** Programmatic entry points: the services the CLI commands are thin wrappers around. */
export { resolveConfig, type StoConfig } from "./config/resolve";
export { openDatabase, type StoDatabase } from "./db/database";
export { startLocalChain, type LocalChain } from "./chain/local-node";
export { ContractArtifacts } from "./contracts/artifacts";
export { StoError, ExitCode } from "./errors";
export { TokenScanner, type ScanOptions, type ScanResult } from "./scan/scanner";
export { RpcClient } from "./scan/rpc";
export { buildCapTable, parseAtDate, type CapTable, type CapTableRequest } from "./captable/captable";
export { readIdentityFile } from "./captable/identity-file";
export {
  prepareDistribution,
  readDistributionCsv,
  DistributionRejected,
  type DistributionRequest,
  type DistributionResult,
  type DistributionInputRow,
} from "./distribution";
