// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";

/// @title BasicKYC
/// @notice A registry of addresses whose owners' real world identities the issuer has verified, with
/// an optional investor class, country and KYC expiry per address (`IInvestorRegistry`).
/// The deployer is admin and whitelister; the admin can grant WHITELISTER_ROLE to other keys.
///
/// The plain whitelist API (`addToWhitelist`, `addToWhitelistBatch`, `removeFromWhitelist`,
/// `isWhitelisted`) works as before: adding an address already listed, or removing one not listed,
/// is a no-op without an event, so re-running a whitelisting job is safe. `isWhitelisted` is false
/// for an entry whose expiry has passed.
contract BasicKYC is IInvestorRegistry, AccessControl {
    bytes32 public constant WHITELISTER_ROLE = keccak256("WHITELISTER_ROLE");

    uint256 private constant LISTED = 1;
    uint256 private constant CLASS_SHIFT = 8;
    uint256 private constant COUNTRY_SHIFT = 16;
    uint256 private constant EXPIRY_SHIFT = 32;

    /// Packed entries, layout in IInvestorRegistry.
    mapping(address => uint256) private _entries;

    /// @notice `account` was added to the whitelist by `operator`.
    event Whitelisted(address indexed account, address indexed operator);
    /// @notice `account` was removed from the whitelist by `operator`.
    event Unwhitelisted(address indexed account, address indexed operator);
    /// @notice `account`'s entry was set: class, country (ISO 3166-1 numeric) and expiry (0 = never).
    event InvestorUpdated(
        address indexed account, uint8 investorClass, uint16 country, uint40 expiresAt, address indexed operator
    );

    error ZeroAddress();
    /// @notice Investor classes are 0 (none) to 31: a token's class rule is a 32-bit set.
    error InvalidInvestorClass(uint8 investorClass);

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(WHITELISTER_ROLE, msg.sender);
    }

    /// @notice Whether `account` is listed and its entry has not expired.
    function isWhitelisted(address account) external view returns (bool) {
        uint256 entry = _entries[account];
        if (entry & LISTED == 0) return false;
        uint256 expiresAt = entry >> EXPIRY_SHIFT;
        return expiresAt == 0 || block.timestamp < expiresAt;
    }

    /// @inheritdoc IInvestorRegistry
    function investorData(address account) external view returns (uint256) {
        return _entries[account];
    }

    /// @inheritdoc IInvestorRegistry
    function investorDataBatch(address[] calldata accounts) external view returns (uint256[] memory data) {
        uint256 length = accounts.length;
        data = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) {
            data[i] = _entries[accounts[i]];
        }
    }

    /// @notice `account`'s entry, unpacked. `listed` is true even when the entry has expired.
    function investor(address account)
        external
        view
        returns (bool listed, uint8 investorClass, uint16 country, uint40 expiresAt)
    {
        uint256 entry = _entries[account];
        return (
            entry & LISTED != 0,
            uint8(entry >> CLASS_SHIFT),
            uint16(entry >> COUNTRY_SHIFT),
            uint40(entry >> EXPIRY_SHIFT)
        );
    }

    /// @notice Adds `account` (not 0x0) to the whitelist with no class, country or expiry. An
    /// address already listed keeps its entry (class, country, expiry) unchanged.
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

    /// @notice Lists `account` (or updates its entry) with an investor class (0-31), a country
    /// (ISO 3166-1 numeric, 0 = none) and a KYC expiry (unix seconds, 0 = never). Renews an
    /// expired entry.
    function setInvestor(address account, uint8 investorClass, uint16 country, uint40 expiresAt)
        external
        onlyRole(WHITELISTER_ROLE)
    {
        _set(account, _pack(investorClass, country, expiresAt));
    }

    /// @notice `setInvestor` with the same class, country and expiry for every address in `accounts`.
    function setInvestorBatch(address[] calldata accounts, uint8 investorClass, uint16 country, uint40 expiresAt)
        external
        onlyRole(WHITELISTER_ROLE)
    {
        uint256 entry = _pack(investorClass, country, expiresAt);
        uint256 length = accounts.length;
        for (uint256 i = 0; i < length; ++i) {
            _set(accounts[i], entry);
        }
    }

    /// @notice Removes `account`'s entry. It keeps its tokens but, with a restricted transfer
    /// agent, can no longer send or receive them in ordinary transfers; a `kyc` token no longer
    /// lets it receive.
    function removeFromWhitelist(address account) external onlyRole(WHITELISTER_ROLE) {
        if (_entries[account] & LISTED != 0) {
            delete _entries[account];
            emit Unwhitelisted(account, msg.sender);
        }
    }

    function _pack(uint8 investorClass, uint16 country, uint40 expiresAt) private pure returns (uint256) {
        if (investorClass > 31) revert InvalidInvestorClass(investorClass);
        return LISTED | (uint256(investorClass) << CLASS_SHIFT) | (uint256(country) << COUNTRY_SHIFT)
            | (uint256(expiresAt) << EXPIRY_SHIFT);
    }

    function _set(address account, uint256 entry) private {
        if (account == address(0)) revert ZeroAddress();
        uint256 previous = _entries[account];
        _entries[account] = entry;
        if (previous & LISTED == 0) emit Whitelisted(account, msg.sender);
        emit InvestorUpdated(
            account, uint8(entry >> CLASS_SHIFT), uint16(entry >> COUNTRY_SHIFT), uint40(entry >> EXPIRY_SHIFT), msg.sender
        );
    }

    function _add(address account) private {
        if (account == address(0)) revert ZeroAddress();
        if (_entries[account] & LISTED == 0) {
            _entries[account] = LISTED;
            emit Whitelisted(account, msg.sender);
        }
    }
}
