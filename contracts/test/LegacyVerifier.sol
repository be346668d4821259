// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Test double: a third-party transfer verifier written before `isUnrestricted()` existed
/// (it only has verify/verifyBatch), whose answer can be switched. The token must treat it as
/// restricted and call it on every transfer.
contract LegacyVerifier {
    bool public allow = true;

    function setAllow(bool allow_) external {
        allow = allow_;
    }

    function verify(address, address, uint256) external view returns (bool) {
        return allow;
    }

    function verifyBatch(address, address[] calldata) external view returns (bool) {
        return allow;
    }
}
