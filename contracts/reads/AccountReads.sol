// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title AccountReads
/// @notice Never deployed. sto sends its creation code, with the arguments, as an `eth_call` without
/// a recipient (a "deployless" read, as viem does it where a chain has no Multicall3): the
/// constructor calls `target` once per account with `selector(account)` and returns the answers
/// instead of runtime code, so one `eth_call` reads hundreds of balances.
///
/// The answer is `accounts.length` slots of `words` × 32 bytes, one per account in order, followed
/// by one status byte per account: 1 when the call succeeded with exactly `words` × 32 bytes (the
/// slot holds them), 0 otherwise (the slot is zero). A call that reverts or answers with another
/// length does not sink the others; sto reads the accounts marked 0 again one `eth_call` each.
contract AccountReads {
    constructor(address target, bytes4 selector, uint256 words, address[] memory accounts) payable {
        assembly ("memory-safe") {
            let count := mload(accounts)
            let size := mul(words, 32)
            let answers := mload(0x40)
            let statuses := add(answers, mul(count, size))
            let input := add(statuses, add(count, 32))
            // Zeroed explicitly: memory above the free pointer is not promised to be clean.
            calldatacopy(answers, calldatasize(), add(mul(count, size), count))
            mstore(input, selector)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                mstore(add(input, 4), mload(add(accounts, mul(add(i, 1), 32))))
                let slot := add(answers, mul(i, size))
                if and(staticcall(gas(), target, input, 36, 0, 0), eq(returndatasize(), size)) {
                    returndatacopy(slot, 0, size)
                    mstore8(add(statuses, i), 1)
                }
            }
            return(answers, add(mul(count, size), count))
        }
    }
}
