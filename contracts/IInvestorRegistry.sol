// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IKYC} from "./IKYC.sol";

/// @title IInvestorRegistry
/// @notice A KYC registry whose entries carry an investor class, a country and an expiry, read by
/// `kyc`-mode SecurityTokens with one external call per transfer (one per batch).
///
/// An entry is returned packed in one word (what the registry stores), so the token reads it with a
/// single storage access on the registry side:
///   bit      0      listed (the owner passed the issuer's identity checks)
///   bits   8..15    investor class (0 = none recorded; 1..31 by the issuer's convention)
///   bits  16..31    country, ISO 3166-1 numeric (0 = none recorded)
///   bits  32..71    expiry, unix seconds (0 = never expires); the entry counts from that second on as expired
interface IInvestorRegistry is IKYC {
    /// @notice The packed entry of `account` (0 when it was never listed or was removed).
    function investorData(address account) external view returns (uint256);

    /// @notice The packed entries of `accounts`, in order (one call for a whole batch).
    function investorDataBatch(address[] calldata accounts) external view returns (uint256[] memory);
}
