// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title AccountCodes
/// @notice Never deployed. sto sends its creation code, with the arguments, as an `eth_call` without
/// a recipient (a "deployless" read, like AccountReads): the constructor returns, instead of
/// runtime code, one byte per account in order: 1 when the account has code at the call's block
/// (EXTCODESIZE above zero: a contract, or an account delegated under EIP-7702, exactly where
/// eth_getCode answers more than "0x"), 0 otherwise. One `eth_call` replaces a thousand eth_getCode.
contract AccountCodes {
    constructor(address[] memory accounts) payable {
        assembly ("memory-safe") {
            let count := mload(accounts)
            let answers := mload(0x40)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                mstore8(add(answers, i), gt(extcodesize(mload(add(accounts, mul(add(i, 1), 32)))), 0))
            }
            return(answers, count)
        }
    }
}
