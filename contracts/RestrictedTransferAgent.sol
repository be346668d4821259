// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITransferVerifier} from "./ITransferVerifier.sol";
import {IKYC} from "./IKYC.sol";

/// @title RestrictedTransferAgent
/// @notice A transfer policy that allows a transfer only when both the sender and the receiver are
/// whitelisted in the KYC contract, as read at the time of the transfer.
contract RestrictedTransferAgent is ITransferVerifier {
    /// @notice The whitelist consulted on every transfer.
    IKYC public immutable kyc;

    error ZeroAddress();

    /// @param kyc_ The whitelist (e.g. a BasicKYC); must not be the zero address.
    constructor(IKYC kyc_) {
        if (address(kyc_) == address(0)) revert ZeroAddress();
        kyc = kyc_;
    }

    /// @inheritdoc ITransferVerifier
    function verify(address from, address to, uint256) external view returns (bool) {
        return kyc.isWhitelisted(from) && kyc.isWhitelisted(to);
    }

    /// @inheritdoc ITransferVerifier
    function verifyBatch(address from, address[] calldata to) external view returns (bool) {
        if (!kyc.isWhitelisted(from)) return false;
        uint256 length = to.length;
        for (uint256 i = 0; i < length; ++i) {
            if (!kyc.isWhitelisted(to[i])) return false;
        }
        return true;
    }

    /// @inheritdoc ITransferVerifier
    function isUnrestricted() external pure returns (bool) {
        return false;
    }
}
