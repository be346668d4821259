// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITransferVerifier} from "./ITransferVerifier.sol";

/// @notice A transfer policy that allows every transfer.
contract UnrestrictedTransferAgent is ITransferVerifier {
    function verify(address, address, uint256) external pure returns (bool) {
        return true;
    }

    function verifyBatch(address, address[] calldata) external pure returns (bool) {
        return true;
    }
}
