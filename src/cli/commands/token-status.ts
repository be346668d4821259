import type { Command } from "commander";
import { parseAddress } from "../../input/address";
import { readTokenStatus, type TokenStatus } from "../../token/status";
import { withAmounts } from "../json-amounts";
import { describeRules, readComplianceRules } from "../../compliance/service";
import { action } from "../action";
import { tokenAddressOption } from "../token-address-option";

/** The status with its total supply as every amount in JSON (json-amounts.ts). */
function statusJson(status: TokenStatus): Record<string, unknown> {
  const { totalSupplyText: _text, ...rest } = status;
  return withAmounts(rest, status.decimals, ["totalSupply"]);
}

export function register(program: Command): void {
  tokenAddressOption(program.command("token-status").description("Print token contract status."), "address")
    .action(
      action(async (ctx, options: { tokenAddress: string }) => {
        const address = parseAddress(options.tokenAddress, "tokenAddress");
        const chain = await ctx.chain();
        const status = await readTokenStatus(chain.provider, ctx.artifacts(), await ctx.db(), ctx.config.network.name, address);
        ctx.out.result(`Name: ${status.name}`);
        ctx.out.result(`Symbol: ${status.symbol}`);
        ctx.out.result(`Total supply: ${status.totalSupplyText}`);
        ctx.out.result(`Decimals: ${status.decimals}`);
        ctx.out.result(`Owner: ${status.owner ?? "unknown (not deployed from this database)"}`);
        if (status.isSecurityToken) {
          ctx.out.result(`Transfer verifier: ${status.transferVerifier}`);
          ctx.out.result(`URL: ${status.url ?? ""}`);
          ctx.out.result(`Checkpoints: ${status.currentCheckpointId ?? 0n}`);
          ctx.out.result(`Announcements: ${status.announcementCount ?? 0n}`);
          // Every active compliance rule (absent on tokens deployed before the rules existed).
          const rules = await readComplianceRules({ provider: chain.provider, artifacts: ctx.artifacts() }, address);
          for (const line of rules ? describeRules(rules, status.decimals) : []) ctx.out.result(line);
          ctx.out.data({ ...statusJson(status), compliance: rules ? withAmounts(rules, status.decimals, ["maxSupply", "maxBalance"]) : null });
          return;
        }
        ctx.out.data(statusJson(status));
      }),
    );
}
