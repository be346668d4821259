// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITransferVerifier} from "./ITransferVerifier.sol";

/// @title UnrestrictedTransferAgent
/// @notice A transfer policy that allows every transfer. It reports itself unrestricted, so a token
/// using it does not call it on transfers.
contract UnrestrictedTransferAgent is ITransferVerifier {
    /// @inheritdoc ITransferVerifier
    function verify(address, address, uint256) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc ITransferVerifier
    function verifyBatch(address, address[] calldata) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc ITransferVerifier
    function isUnrestricted() external pure returns (bool) {
        return true;
    }
}
