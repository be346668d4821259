import type { FallbackGas } from "../tx/gas-limits";

/**
 * Gas limits for SecurityToken and ERC-20 calls that cannot be estimated before earlier
 * transactions of the batch are mined (measured in docs/gas.md: announce 232,244, growing with
 * name and URI length).
 */
export const TOKEN_FALLBACK_GAS: FallbackGas = {
  "setTransferVerifier(address)": 100_000n,
  "issueTokens(uint256)": 200_000n,
  "burnTokens(uint256)": 150_000n,
  "transfer(address,uint256)": 150_000n,
  "approve(address,uint256)": 100_000n,
  "checkpoint()": 100_000n,
  "forceTransfer(address,address,uint256,string)": 250_000n,
  "announce(address,uint256,string,string,bytes32)": 400_000n,
  // The compliance functions run in SecurityTokenExtension through the token's fallback.
  "initializeCompliance(uint8,address,uint256,uint32,uint32,bool,uint64,uint128)": 200_000n,
  "setCountriesRefused(uint16[],bool)": 400_000n,
  "transferWithLockup(address,uint256,uint256)": 250_000n,
};

/** The same for the KYC whitelist (BasicKYC). */
export const KYC_FALLBACK_GAS: FallbackGas = {
  "addToWhitelist(address)": 100_000n,
  "removeFromWhitelist(address)": 60_000n,
  "setInvestor(address,uint8,uint16,uint40)": 100_000n,
};
