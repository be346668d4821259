// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITransferVerifier} from "./ITransferVerifier.sol";
import {IKYC} from "./IKYC.sol";

/// @notice A transfer policy that allows a transfer only when both sender and receiver are
/// whitelisted in the KYC contract.
contract RestrictedTransferAgent is ITransferVerifier {
    IKYC public immutable kyc;

    error ZeroAddress();

    constructor(IKYC kyc_) {
        if (address(kyc_) == address(0)) revert ZeroAddress();
        kyc = kyc_;
    }

    function verify(address from, address to, uint256) external view returns (bool) {
        return kyc.isWhitelisted(from) && kyc.isWhitelisted(to);
    }

    function verifyBatch(address from, address[] calldata to) external view returns (bool) {
        if (!kyc.isWhitelisted(from)) return false;
        for (uint256 i = 0; i < to.length; ++i) {
            if (!kyc.isWhitelisted(to[i])) return false;
        }
        return true;
    }
}
