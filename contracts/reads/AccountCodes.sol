// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title AccountCodes
/// @notice Never deployed. sto sends its creation code followed by the accounts as an `eth_call`
/// without a recipient (a "deployless" read, like AccountReads): the constructor returns, instead
/// of runtime code, one byte per account in order: 1 when the account has code at the call's block
/// (EXTCODESIZE above zero: a contract, or an account delegated under EIP-7702, exactly where
/// eth_getCode answers more than "0x"), 0 otherwise. One `eth_call` replaces a thousand eth_getCode.
///
/// The accounts follow the creation code packed, 20 bytes each, then their count as one 32-byte
/// word; not ABI-encoded, so that no decoding loop runs per account: Hardhat's node runs every
/// opcode of an `eth_call` through its tracer, and the ABI decoder's checks cost more there than
/// the EXTCODESIZE they feed.
contract AccountCodes {
    constructor() payable {
        assembly ("memory-safe") {
            let end := sub(codesize(), 32)
            codecopy(0, end, 32)
            let count := mload(0)
            let size := mul(count, 20)
            let accounts := mload(0x40)
            codecopy(accounts, sub(end, size), size)
            // Each account is read as the top 20 bytes of a 32-byte load; the answers start right
            // after the accounts, so the last load's lower 12 bytes may see answers (discarded).
            let answers := add(accounts, size)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                mstore8(add(answers, i), gt(extcodesize(shr(96, mload(add(accounts, mul(i, 20))))), 0))
            }
            return(answers, count)
        }
    }
}
