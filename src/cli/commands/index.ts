import type { Command } from "commander";

/** A command module: it adds its one command (named as the file) to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command of the CLI; a command is one file in this folder and one line here. Modules are
 * loaded when needed: a run of one command loads only that command's code (and so, for example,
 * cap-table never loads ethers), which took about a third off the start-up of every command.
 */
export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  "cap-table": () => import("./cap-table"),
  burn: () => import("./burn"),
  checkpoint: () => import("./checkpoint"),
  "compliance-check": () => import("./compliance-check"),
  "compliance-set": () => import("./compliance-set"),
  "db-copy": () => import("./db-copy"),
  "db-forget-network": () => import("./db-forget-network"),
  "deploy-crowdsale-token": () => import("./deploy-crowdsale-token"),
  diagnose: () => import("./diagnose"),
  "distribute-multiple": () => import("./distribute-multiple"),
  "distribute-single": () => import("./distribute-single"),
  "ethereum-create-account": () => import("./ethereum-create-account"),
  "force-transfer": () => import("./force-transfer"),
  freeze: () => import("./freeze"),
  issue: () => import("./issue"),
  "issue-logs": () => import("./issue-logs"),
  "kyc-deploy": () => import("./kyc-deploy"),
  "kyc-manage": () => import("./kyc-manage"),
  node: () => import("./node"),
  pause: () => import("./pause"),
  "payout-approve": () => import("./payout-approve"),
  "payout-claim": () => import("./payout-claim"),
  "payout-deploy": () => import("./payout-deploy"),
  "payout-deposit": () => import("./payout-deposit"),
  "payout-dividends": () => import("./payout-dividends"),
  "payout-reclaim": () => import("./payout-reclaim"),
  "payout-status": () => import("./payout-status"),
  reference: () => import("./reference"),
  "token-scan": () => import("./token-scan"),
  "token-status": () => import("./token-status"),
  "tx-broadcast": () => import("./tx-broadcast"),
  "tx-bump": () => import("./tx-bump"),
  "tx-cancel": () => import("./tx-cancel"),
  "tx-export": () => import("./tx-export"),
  "tx-import": () => import("./tx-import"),
  "tx-last": () => import("./tx-last"),
  "tx-next-nonce": () => import("./tx-next-nonce"),
  "tx-restart-nonce": () => import("./tx-restart-nonce"),
  "tx-sign": () => import("./tx-sign"),
  "tx-update": () => import("./tx-update"),
  "tx-verify": () => import("./tx-verify"),
  unfreeze: () => import("./unfreeze"),
  unpause: () => import("./unpause"),
  version: () => import("./version"),
  vote: () => import("./vote"),
  "voting-deploy": () => import("./voting-deploy"),
  "voting-results": () => import("./voting-results"),
};
