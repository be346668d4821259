/** Programmatic entry points: the services the CLI commands are thin wrappers around. */
export { resolveConfig, type StoConfig } from "./config/resolve";
export { openDatabase, type StoDatabase } from "./db/database";
export { startLocalChain, type LocalChain } from "./chain/local-node";
export { ContractArtifacts } from "./contracts/artifacts";
export { createTxEnvironment, type TxEnvironment, type TxEnvironmentOptions, type SigningEnvironment } from "./tx/environment";
export { StoError, ExitCode } from "./errors";
export { TokenScanner, type ScanOptions, type ScanResult } from "./scan/scanner";
export { SqliteScanDatabase, type ScanDatabase, type ScanStore } from "./scan/store";
export { verifyScan, describeCause, type Verification, type HolderDifference } from "./scan/verify";
export { readBalances, BalanceReader, MULTICALL3_ADDRESS } from "./chain/balances";
export { JsonRpcTransport, retryPolicyFromEnvironment, NodeUnavailableError, type NodeClient, type RetryPolicy } from "./chain/rpc";
export { buildCapTable, type CapTable, type CapTableRequest, type CapTableVerification } from "./captable/captable";
export { parseAtDate } from "./input/dates";
export { readIdentityFile } from "./captable/identity-file";
export {
  prepareDistribution,
  readDistributionCsv,
  DistributionRejected,
  type DistributionRequest,
  type DistributionResult,
  type DistributionInputRow,
} from "./distribution";
export { ledgerOf, iterateRange, type TxLedger, type PreparedRange, type PreparedTransaction, type TxStatus } from "./tx/ledger";
export { findDisagreements, type Disagreement } from "./tx/diagnose";
export { forgetNetwork, type ForgottenNetwork } from "./tx/forget-network";
export type { ProgressListener } from "./progress";
export { prepareCheckpoint, planRecordDate, type RecordDatePlan } from "./corporate/record-date";
export { preparePayoutDeploy, type PayoutDeployRequest, type PayoutDeployResult } from "./corporate/payout/deploy";
export { preparePayoutApprove, preparePayoutDeposit } from "./corporate/payout/funding";
export { prepareDividends, reconcilePayments, paymentsOf, type DividendPlan } from "./corporate/payout/dividends";
export { readPayoutState, type PayoutState, type HolderPosition } from "./corporate/payout/state";
export { prepareClaim, prepareReclaim } from "./corporate/payout/claims";
export { prepareVotingDeploy, type VotingDeployRequest } from "./corporate/voting/deploy";
export { prepareVote, readVotingResults, type VotingResults } from "./corporate/voting/ballot";
export { prepareForceTransfer, prepareBurn } from "./corporate/recovery/recovery";
export { EtherscanClient } from "./verify/etherscan";
export { verifyDeployments, type VerificationOutcome } from "./verify/verify";
