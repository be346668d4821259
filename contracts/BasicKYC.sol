// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IKYC} from "./IKYC.sol";

/// @notice A whitelist of addresses whose owners' real world identities the issuer has verified.
/// The deployer is admin and whitelister; the admin can grant WHITELISTER_ROLE to other keys.
contract BasicKYC is IKYC, AccessControl {
    bytes32 public constant WHITELISTER_ROLE = keccak256("WHITELISTER_ROLE");

    mapping(address => bool) private _whitelisted;

    event Whitelisted(address indexed account, address indexed operator);
    event Unwhitelisted(address indexed account, address indexed operator);

    error ZeroAddress();

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(WHITELISTER_ROLE, msg.sender);
    }

    function isWhitelisted(address account) external view returns (bool) {
        return _whitelisted[account];
    }

    function addToWhitelist(address account) external onlyRole(WHITELISTER_ROLE) {
        _add(account);
    }

    function addToWhitelistBatch(address[] calldata accounts) external onlyRole(WHITELISTER_ROLE) {
        for (uint256 i = 0; i < accounts.length; ++i) {
            _add(accounts[i]);
        }
    }

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
