// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IERC1404
/// @notice Simple Restricted Token Standard: why a transfer would be refused, before it is sent.
interface IERC1404 {
    /// @notice A code for the first rule refusing the transfer; 0 when it is allowed.
    function detectTransferRestriction(address from, address to, uint256 value) external view returns (uint8);

    /// @notice The reason for `restrictionCode`, in words.
    function messageForTransferRestriction(uint8 restrictionCode) external view returns (string memory);
}
