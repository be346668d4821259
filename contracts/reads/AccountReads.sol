// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title AccountReads
/// @notice Never deployed. sto sends its creation code, with the arguments appended, as an `eth_call`
/// without a recipient (a "deployless" read, as viem does it where a chain has no Multicall3): the
/// constructor calls `target` once per account with `selector(account)` and returns the answers
/// instead of runtime code, so one `eth_call` reads hundreds of balances.
///
/// The arguments are packed, not ABI-encoded, so that the constructor decodes nothing and its loop
/// is a handful of instructions per account (Hardhat's node records every instruction an eth_call
/// executes, and its CPU time grows with their number): `target` (32 bytes), `words` (32 bytes),
/// then each account's call input, `selector ‖ account` (36 bytes each), then the number of
/// accounts (32 bytes), last.
///
/// The answer is one status byte per account, in order: 1 when the call succeeded with exactly
/// `words` × 32 bytes, 0 otherwise; then one slot of `words` × 32 bytes per account, which holds the
/// answer where the status is 1 (anything where it is 0). The status bytes come first so that the
/// answer, taken as contract code, never starts with 0xEF (EIP-3541 refuses such code). A call that
/// reverts or answers with another length does not sink the others; sto reads the accounts marked 0
/// again one `eth_call` each.
contract AccountReads {
    constructor() payable {
        assembly {
            let end := sub(codesize(), 32)
            codecopy(0, end, 32)
            let count := mload(0)
            let inputsLength := mul(count, 36)
            let start := sub(end, add(64, inputsLength))
            codecopy(0, start, 64)
            let target := mload(0)
            let size := mul(mload(32), 32)
            let statuses := 64
            let answers := add(statuses, count)
            let inputs := add(answers, mul(count, size))
            codecopy(inputs, add(start, 64), inputsLength)
            let inputsEnd := add(inputs, inputsLength)
            for {
                let input := inputs
                let slot := answers
                let status := statuses
            } lt(input, inputsEnd) {
                input := add(input, 36)
                slot := add(slot, size)
                status := add(status, 1)
            } {
                // The call first, then its answer's size: Yul evaluates a function's arguments
                // right to left, so `and(staticcall(…), eq(returndatasize(), size))` would look at
                // the size of the previous call's answer. The answer is written straight into the
                // account's slot (at most `size` bytes of it).
                let ok := staticcall(gas(), target, input, 36, slot, size)
                mstore8(status, and(ok, eq(returndatasize(), size)))
            }
            return(statuses, sub(inputs, statuses))
        }
    }
}
