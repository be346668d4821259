// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IKYC
/// @notice The whitelist interface the restricted transfer agent, payouts and votes read.
interface IKYC {
    /// @notice Whether the owner of `account` passed the issuer's identity checks.
    function isWhitelisted(address account) external view returns (bool);
}
