// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title TransferRestrictionMessages
/// @notice The ERC-1404 messages of SecurityToken's restriction codes. Each token creates its own
/// copy in its constructor (it keeps the token's runtime code under the 24,576-byte limit).
contract TransferRestrictionMessages {
    /// @notice The reason for `restrictionCode`, in words ("Unknown restriction code" above 17).
    function messageForTransferRestriction(uint8 restrictionCode) external pure returns (string memory message) {
        // One line per code, in code order (cheaper in bytecode than 18 string literals).
        bytes memory all = "No restriction\nTransfers paused\nSender address frozen\nReceiver address frozen\n"
            "Insufficient balance\nSender's tokens frozen\nSender's tokens locked up\n"
            "No transfer verifier: transfers stopped\nRejected by the transfer verifier (not whitelisted)\n"
            "Receiver not in the KYC registry\nReceiver's KYC expired\nReceiver's investor class not allowed\n"
            "Receiver's country refused\nSoul-bound: holders cannot transfer\n"
            "Time-locked: no holder transfers before the release time\nMaximum number of holders reached\n"
            "Receiver's balance would exceed the maximum\nReceiver is the zero address\nUnknown restriction code\n";
        uint256 line = restrictionCode > 17 ? 18 : restrictionCode;
        uint256 start = 0;
        uint256 end = 0;
        for (uint256 i = 0; i < all.length; ++i) {
            if (all[i] != "\n") continue;
            if (line == 0) {
                end = i;
                break;
            }
            --line;
            start = i + 1;
        }
        message = new string(end - start);
        for (uint256 i = start; i < end; ++i) {
            bytes(message)[i - start] = all[i];
        }
    }

}
