// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice A transfer policy consulted by SecurityToken on every ordinary transfer.
/// Issuance, burns and forced transfers are role-gated on the token and do not consult it.
interface ITransferVerifier {
    /// @return true when `from` may send `value` tokens to `to`.
    function verify(address from, address to, uint256 value) external view returns (bool);

    /// @return true when `from` may send to every address in `to` (used by batch transfers,
    /// so a batch costs one external call instead of one per receiver).
    function verifyBatch(address from, address[] calldata to) external view returns (bool);
}
