import type { FallbackGas } from "../../tx/gas-limits";

/** Gas limits for Voting calls that cannot be estimated yet (docs/gas.md: first vote 110,848). */
export const VOTING_FALLBACK_GAS: FallbackGas = {
  "vote(uint256)": 200_000n,
};
