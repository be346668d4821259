// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICheckpointToken
/// @notice The record-date interface Payout and Voting read: balances and total supply as they were
/// when a checkpoint was taken. SecurityToken implements it.
interface ICheckpointToken {
    /// @notice The id of the latest checkpoint; 0 when none was taken. Ids start at 1.
    function currentCheckpointId() external view returns (uint256);

    /// @notice The balance `account` had when checkpoint `checkpointId` was taken.
    /// @dev Reverts for id 0 and ids above `currentCheckpointId()`.
    function balanceOfAt(address account, uint256 checkpointId) external view returns (uint256);

    /// @notice The total supply when checkpoint `checkpointId` was taken.
    /// @dev Reverts for id 0 and ids above `currentCheckpointId()`.
    function totalSupplyAt(uint256 checkpointId) external view returns (uint256);
}
