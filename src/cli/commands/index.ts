import type { Command } from "commander";
import { register as capTable } from "./cap-table";
import { register as diagnose } from "./diagnose";
import { register as distributeMultiple } from "./distribute-multiple";
import { register as distributeSingle } from "./distribute-single";
import { register as ethereumCreateAccount } from "./ethereum-create-account";
import { register as issue } from "./issue";
import { register as issueLogs } from "./issue-logs";
import { register as kycDeploy } from "./kyc-deploy";
import { register as kycManage } from "./kyc-manage";
import { register as node } from "./node";
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
import { register as version } from "./version";

/** Every command of the CLI; a command is one file in this folder and one line here. */
export const COMMANDS: ((program: Command) => void)[] = [
  capTable,
  diagnose,
  distributeMultiple,
  distributeSingle,
  ethereumCreateAccount,
  issue,
  issueLogs,
  kycDeploy,
  kycManage,
  node,
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
  version,
];
