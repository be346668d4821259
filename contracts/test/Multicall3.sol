// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Test double: Multicall3's aggregate3, the only function sto calls. Tests put its runtime
/// code at Multicall3's address (0xcA11bde05977b3631167028862bE2a173976CA11) on the local chain, as
/// on the chains where Multicall3 is deployed.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool success, bytes memory data) = calls[i].target.call(calls[i].callData);
            require(success || calls[i].allowFailure, "Multicall3: call failed");
            returnData[i] = Result(success, data);
        }
    }
}
