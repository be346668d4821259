// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IKYC} from "./IKYC.sol";

/// @title BasicKYC
/// @notice A whitelist of addresses whose owners' real world identities the issuer has verified.
/// The deployer is admin and whitelister; the admin can grant WHITELISTER_ROLE to other keys.
/// Adding an address already listed, or removing one not listed, is a no-op without an event, so
/// re-running a whitelisting job is safe.
contract BasicKYC is IKYC, AccessControl {
    bytes32 public constant WHITELISTER_ROLE = keccak256("WHITELISTER_ROLE");

    mapping(address => bool) private _whitelisted;

    /// @notice `account` was added to the whitelist by `operator`.
    event Whitelisted(address indexed account, address indexed operator);
    /// @notice `account` was removed from the whitelist by `operator`.
    event Unwhitelisted(address indexed account, address indexed operator);

    error ZeroAddress();

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(WHITELISTER_ROLE, msg.sender);
    }

    /// @inheritdoc IKYC
    function isWhitelisted(address account) external view returns (bool) {
        return _whitelisted[account];
    }

    /// @notice Adds `account` (not 0x0) to the whitelist.
    function addToWhitelist(address account) external onlyRole(WHITELISTER_ROLE) {
        _add(account);
    }

    /// @notice Adds every address in `accounts` (none may be 0x0); duplicates are fine.
    function addToWhitelistBatch(address[] calldata accounts) external onlyRole(WHITELISTER_ROLE) {
        uint256 length = accounts.length;
        for (uint256 i = 0; i < length;) {
            _add(accounts[i]);
            unchecked {
                ++i;
            }
        }
    }

    /// @notice Removes `account` from the whitelist. It keeps its tokens but, with a restricted
    /// transfer agent, can no longer send or receive them in ordinary transfers.
    function removeFromWhitelist(address account) external onlyRole(WHITELISTER_ROLE) {
        if (_whitelisted[account]) {
            _whitelisted[account] = false;
            emit Unwhitelisted(account, msg.sender);
        }
    }

    function _add(address account) private {
        if (account == address(0)) revert ZeroAddress();
        if (!_whitelisted[account]) {
            _whitelisted[account] = true;
            emit Whitelisted(account, msg.sender);
        }
    }
}
