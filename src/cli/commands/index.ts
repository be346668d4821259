import type { Command } from "commander";
import { register as capTable } from "./cap-table";
import { register as burn } from "./burn";
import { register as checkpoint } from "./checkpoint";
import { register as deployCrowdsaleToken } from "./deploy-crowdsale-token";
import { register as diagnose } from "./diagnose";
import { register as distributeMultiple } from "./distribute-multiple";
import { register as distributeSingle } from "./distribute-single";
import { register as ethereumCreateAccount } from "./ethereum-create-account";
import { register as forceTransfer } from "./force-transfer";
import { register as issue } from "./issue";
import { register as issueLogs } from "./issue-logs";
import { register as kycDeploy } from "./kyc-deploy";
import { register as kycManage } from "./kyc-manage";
import { register as node } from "./node";
import { register as payoutApprove } from "./payout-approve";
import { register as payoutClaim } from "./payout-claim";
import { register as payoutDeploy } from "./payout-deploy";
import { register as payoutDeposit } from "./payout-deposit";
import { register as payoutDividends } from "./payout-dividends";
import { register as payoutReclaim } from "./payout-reclaim";
import { register as payoutStatus } from "./payout-status";
import { register as reference } from "./reference";
import { register as tokenScan } from "./token-scan";
import { register as tokenStatus } from "./token-status";
import { register as txBroadcast } from "./tx-broadcast";
import { register as txExport } from "./tx-export";
import { register as txImport } from "./tx-import";
import { register as txLast } from "./tx-last";
import { register as txNextNonce } from "./tx-next-nonce";
import { register as txRestartNonce } from "./tx-restart-nonce";
import { register as txSign } from "./tx-sign";
import { register as txUpdate } from "./tx-update";
import { register as txVerify } from "./tx-verify";
import { register as version } from "./version";
import { register as vote } from "./vote";
import { register as votingDeploy } from "./voting-deploy";
import { register as votingResults } from "./voting-results";

/** Every command of the CLI; a command is one file in this folder and one line here. */
export const COMMANDS: ((program: Command) => void)[] = [
  capTable,
  burn,
  checkpoint,
  deployCrowdsaleToken,
  diagnose,
  distributeMultiple,
  distributeSingle,
  ethereumCreateAccount,
  forceTransfer,
  issue,
  issueLogs,
  kycDeploy,
  kycManage,
  node,
  payoutApprove,
  payoutClaim,
  payoutDeploy,
  payoutDeposit,
  payoutDividends,
  payoutReclaim,
  payoutStatus,
  reference,
  tokenScan,
  tokenStatus,
  txBroadcast,
  txExport,
  txImport,
  txLast,
  txNextNonce,
  txRestartNonce,
  txSign,
  txUpdate,
  txVerify,
  version,
  vote,
  votingDeploy,
  votingResults,
];
