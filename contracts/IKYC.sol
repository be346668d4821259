// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The whitelist interface the restricted transfer agent, payouts and votes read.
interface IKYC {
    function isWhitelisted(address account) external view returns (bool);
}
