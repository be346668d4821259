import type { FallbackGas } from "../../tx/gas-limits";

/** Gas limits for Payout calls that cannot be estimated yet (docs/gas.md: fundFromAllowance 85,897). */
export const PAYOUT_FALLBACK_GAS: FallbackGas = {
  "fundFromAllowance()": 150_000n,
  "fund(uint256)": 150_000n,
  "claim()": 150_000n,
  "reclaim(address)": 120_000n,
};
