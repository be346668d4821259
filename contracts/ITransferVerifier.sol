// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITransferVerifier
/// @notice A transfer policy consulted by SecurityToken on every ordinary transfer (`transfer`,
/// `transferFrom`, `batchTransfer`). Issuance, burns and forced transfers are role-gated on the token
/// and do not consult it.
interface ITransferVerifier {
    /// @notice Whether `from` may send `value` tokens to `to`.
    /// @return true to allow the transfer; false makes the token revert with `TransferRejected`.
    function verify(address from, address to, uint256 value) external view returns (bool);

    /// @notice Whether `from` may send to every address in `to` (used by batch transfers, so a batch
    /// costs one external call instead of one per receiver).
    function verifyBatch(address from, address[] calldata to) external view returns (bool);

    /// @notice Whether this policy allows every transfer, always (it never returns false and never
    /// will). The token asks once, when the verifier is set, and then skips calling an unrestricted
    /// verifier on transfers, saving an external call per transfer. Optional for third-party
    /// verifiers: if the call reverts or is missing, the token treats the verifier as restricted.
    function isUnrestricted() external view returns (bool);
}
