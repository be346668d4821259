// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1404} from "./IERC1404.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";
import {SecurityTokenBase} from "./SecurityTokenBase.sol";

/// @title SecurityTokenExtension
/// @notice The cold half of SecurityToken's code: compliance configuration, pause, freezes, the
/// ERC-1404 views, holdings, announcements and token information. A SecurityToken is given one at
/// deployment (one serves any number of tokens) and delegates to it from its fallback, so these functions run in the token's storage, with the
/// token's roles, and emit their events from the token's address. Called directly, this contract
/// has its own empty storage and no role holders: every state-changing function reverts.
contract SecurityTokenExtension is SecurityTokenBase, IERC1404 {
    /// @notice Identifies the contract to SecurityToken's constructor (and the layout it expects).
    function securityTokenExtensionVersion() external pure returns (uint256) {
        return EXTENSION_VERSION;
    }

    // ---------------------------------------------------------------- ERC-1404

    /// @notice The ERC-1404 code of the first rule that would refuse `transfer(to, value)` sent by
    /// `from` now (0 = allowed). Codes and their order: docs/compliance.md.
    function detectTransferRestriction(address from, address to, uint256 value) external view returns (uint8) {
        if (to == address(0)) return INVALID_RECEIVER;
        uint256 s = _settingsWord();
        if (_has(s, PAUSED)) return PAUSED_CODE;
        uint256 fromPacked = _accounts[from];
        uint256 toPacked = _accounts[to];
        if (fromPacked & FROZEN != 0) return SENDER_FROZEN;
        if (toPacked & FROZEN != 0) return RECEIVER_FROZEN;
        uint8 code = _holdCode(
            fromPacked & BALANCE_MASK,
            fromPacked & HAS_FROZEN_TOKENS != 0 ? _frozenTokens[from] : 0,
            fromPacked & HAS_LOCKS != 0 ? _lockedView(from) : 0,
            value
        );
        if (code != OK) return code;
        code = _policyCode(s, from, to, value);
        if (code != OK) return code;
        // from == to leaves the balance of `to` as it is.
        return _limitCode(s, from, to, value, fromPacked & BALANCE_MASK, from == to ? 0 : toPacked & BALANCE_MASK);
    }

    /// @notice The reason for `restrictionCode`, in words ("Unknown restriction code" above 17).
    function messageForTransferRestriction(uint8 restrictionCode) external pure returns (string memory message) {
        // One line per code, in code order (cheaper in bytecode than 18 string literals).
        bytes memory all = "No restriction\nTransfers paused\nSender address frozen\nReceiver address frozen\n"
            "Insufficient balance\nSender's tokens frozen\nSender's tokens locked up\n"
            "No transfer verifier: transfers stopped\nRejected by the transfer verifier (not whitelisted)\n"
            "Receiver not in the KYC registry\nReceiver's KYC expired\nReceiver's investor class not allowed\n"
            "Receiver's country refused\nSoul-bound: holders cannot transfer\n"
            "Time-locked: no holder transfers before the release time\nMaximum number of holders reached\n"
            "Receiver's balance would exceed the maximum\nReceiver is the zero address\nUnknown restriction code\n";
        uint256 line = restrictionCode > 17 ? 18 : restrictionCode;
        uint256 start = 0;
        uint256 end = 0;
        for (uint256 i = 0; i < all.length; ++i) {
            if (all[i] != "\n") continue;
            if (line == 0) {
                end = i;
                break;
            }
            --line;
            start = i + 1;
        }
        message = new string(end - start);
        for (uint256 i = start; i < end; ++i) {
            bytes(message)[i - start] = all[i];
        }
    }


    /// @notice Updates name, symbol and URL (e.g. after a company name change).
    function setTokenInformation(string calldata name_, string calldata symbol_, string calldata url_)
        external
        onlyRole(TOKEN_INFO_ROLE)
    {
        _name = name_;
        _symbol = symbol_;
        url = url_;
        emit TokenInformationUpdated(name_, symbol_, url_);
    }

    // ---------------------------------------------------------------- compliance configuration

    /// @notice Sets the compliance rules chosen at issue. Once, by DEFAULT_ADMIN_ROLE, before any
    /// issuance or checkpoint (so the holder count starts exact).
    /// @param mode MODE_VERIFIER (unrestricted/restricted via the transfer verifier), MODE_KYC,
    /// MODE_SOUL_BOUND or MODE_TIME_LOCKED.
    /// @param registry MODE_KYC: the investor registry (a contract); otherwise 0x0.
    /// @param maxSupply_ Cap on the total supply; 0 = none.
    /// @param allowedInvestorClasses MODE_KYC: bit i set = class i may receive; 0 = any class.
    /// @param releaseTime MODE_TIME_LOCKED: no holder transfers before this unix time; otherwise 0.
    /// @param trackHolders Count holders (non-zero balances), needed for a holder limit now or later.
    /// @param maxHolders Holder limit (0 = none; needs trackHolders).
    /// @param maxBalance Maximum balance per holder (0 = none).
    function initializeCompliance(
        uint8 mode,
        address registry,
        uint256 maxSupply_,
        uint32 allowedInvestorClasses,
        uint32 releaseTime,
        bool trackHolders,
        uint64 maxHolders,
        uint128 maxBalance
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Settings memory s = _settings;
        if (s.flags & CONFIGURED != 0 || _supply != 0 || s.currentCheckpointId != 0) {
            revert ComplianceAlreadyInitialized();
        }
        if (mode > MODE_TIME_LOCKED) revert InvalidMode(mode);
        if (mode == MODE_KYC) {
            if (registry.code.length == 0) revert RegistryNotContract(registry);
            s.policy = registry;
            s.flags &= ~VERIFIER_UNRESTRICTED;
            s.modeParam = allowedInvestorClasses;
        } else {
            if (registry != address(0)) revert WrongMode(mode);
            if (allowedInvestorClasses != 0) revert WrongMode(mode);
            if (mode == MODE_TIME_LOCKED) {
                if (releaseTime == 0) revert InvalidReleaseTime(releaseTime);
                s.modeParam = releaseTime;
            } else if (releaseTime != 0) {
                revert WrongMode(mode);
            }
        }
        if (maxHolders != 0 && !trackHolders) revert HolderCountNotTracked();
        s.mode = mode;
        s.flags |= CONFIGURED | (trackHolders ? TRACK_HOLDERS : 0) | (maxBalance != 0 ? MAX_BALANCE : 0);
        _settings = s;
        maxSupply = maxSupply_;
        _holders = HolderRules(0, maxHolders, maxBalance);
        emit ComplianceInitialized(
            mode, registry, maxSupply_, allowedInvestorClasses, releaseTime, trackHolders, maxHolders, maxBalance
        );
    }

    /// @notice Lowers the max supply (or sets one where there was none); never below the current
    /// total supply and never up.
    function setMaxSupply(uint256 newMaxSupply) external onlyRole(COMPLIANCE_ROLE) {
        uint256 current = maxSupply;
        if (current != 0 && newMaxSupply > current) revert MaxSupplyIncrease(current, newMaxSupply);
        uint256 supply = _supply & BALANCE_MASK;
        if (newMaxSupply == 0 || newMaxSupply < supply) revert MaxSupplyBelowSupply(supply, newMaxSupply);
        maxSupply = newMaxSupply;
        emit MaxSupplyChanged(current, newMaxSupply);
    }

    /// @notice Sets the holder limit (0 = none; needs holder counting chosen at issue) and the max
    /// balance per holder (0 = none). Lowering a limit below today's figures refuses only transfers
    /// that would add a holder or grow a balance past it.
    function setHolderLimits(uint64 maxHolders, uint128 maxBalance) external onlyRole(COMPLIANCE_ROLE) {
        Settings memory s = _settings;
        if (maxHolders != 0 && s.flags & TRACK_HOLDERS == 0) revert HolderCountNotTracked();
        HolderRules memory h = _holders;
        _holders = HolderRules(h.count, maxHolders, maxBalance);
        _settings.flags = maxBalance != 0 ? s.flags | MAX_BALANCE : s.flags & ~MAX_BALANCE;
        emit HolderLimitsChanged(maxHolders, maxBalance);
    }

    /// @notice MODE_KYC: the investor classes that may receive (bit i = class i; 0 = any class).
    function setAllowedInvestorClasses(uint32 allowedInvestorClasses) external onlyRole(COMPLIANCE_ROLE) {
        if (_settings.mode != MODE_KYC) revert WrongMode(_settings.mode);
        _settings.modeParam = allowedInvestorClasses;
        emit AllowedInvestorClassesChanged(allowedInvestorClasses);
    }

    /// @notice MODE_KYC: refuse (or stop refusing) receivers from `countries` (ISO 3166-1 numeric).
    function setCountriesRefused(uint16[] calldata countries, bool refused) external onlyRole(COMPLIANCE_ROLE) {
        if (_settings.mode != MODE_KYC) revert WrongMode(_settings.mode);
        uint256 count = _refusedCountryCount;
        for (uint256 i = 0; i < countries.length; ++i) {
            uint256 country = countries[i];
            if (country == 0 || country > 999) revert InvalidCountry(country);
            uint256 word = _refusedCountries[country >> 8];
            uint256 bit = 1 << (country & 0xff);
            if ((word & bit != 0) == refused) continue;
            _refusedCountries[country >> 8] = word ^ bit;
            if (refused) ++count;
            else --count;
            emit CountryRefusalChanged(uint16(country), refused);
        }
        _refusedCountryCount = count;
        _settings.flags = count != 0 ? _settings.flags | COUNTRY_RULE : _settings.flags & ~COUNTRY_RULE;
    }

    /// @notice MODE_TIME_LOCKED: brings the release time forward (never later).
    function setReleaseTime(uint32 newReleaseTime) external onlyRole(COMPLIANCE_ROLE) {
        Settings memory s = _settings;
        if (s.mode != MODE_TIME_LOCKED) revert WrongMode(s.mode);
        if (newReleaseTime > s.modeParam) revert ReleaseTimeLater(s.modeParam, newReleaseTime);
        _settings.modeParam = newReleaseTime;
        emit ReleaseTimeChanged(s.modeParam, newReleaseTime);
    }

    /// @notice MODE_KYC: replaces the investor registry (a contract).
    function setKycRegistry(IInvestorRegistry registry) external onlyRole(TRANSFER_VERIFIER_ROLE) {
        Settings memory s = _settings;
        if (s.mode != MODE_KYC) revert WrongMode(s.mode);
        if (address(registry).code.length == 0) revert RegistryNotContract(address(registry));
        _settings.policy = address(registry);
        emit KycRegistryChanged(s.policy, address(registry));
    }

    /// @notice Stops all ordinary transfers (forced transfers, issuance and burns keep working).
    function pause() external onlyRole(PAUSER_ROLE) {
        uint8 flags = _settings.flags;
        if (flags & PAUSED != 0) revert TransfersPaused();
        _settings.flags = flags | PAUSED;
        emit Paused(msg.sender);
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        uint8 flags = _settings.flags;
        if (flags & PAUSED == 0) revert TransfersNotPaused();
        _settings.flags = flags & ~PAUSED;
        emit Unpaused(msg.sender);
    }

    /// @notice Freezes (or unfreezes) `account` entirely: it can neither send nor receive in
    /// ordinary transfers. Re-setting the current state is a no-op without an event.
    function setAddressFrozen(address account, bool frozen, string calldata reason) external onlyRole(FREEZER_ROLE) {
        uint256 packed = _accounts[account];
        if ((packed & FROZEN != 0) == frozen) return;
        _accounts[account] = packed ^ FROZEN;
        emit AddressFrozen(account, frozen, msg.sender, reason);
    }

    /// @notice Freezes `amount` more of `account`'s balance (frozen tokens never exceed the balance
    /// at the time of freezing).
    function freezePartialTokens(address account, uint256 amount, string calldata reason)
        external
        onlyRole(FREEZER_ROLE)
    {
        uint256 packed = _accounts[account];
        uint256 frozen = _frozenTokens[account] + amount;
        if (frozen > packed & BALANCE_MASK) revert FreezeExceedsBalance(account, packed & BALANCE_MASK, frozen);
        _frozenTokens[account] = frozen;
        if (frozen != 0) _accounts[account] = packed | HAS_FROZEN_TOKENS;
        emit TokensFrozen(account, amount, frozen, msg.sender, reason);
    }

    /// @notice Releases `amount` of `account`'s frozen tokens.
    function unfreezePartialTokens(address account, uint256 amount, string calldata reason)
        external
        onlyRole(FREEZER_ROLE)
    {
        uint256 frozen = _frozenTokens[account];
        if (amount > frozen) revert UnfreezeExceedsFrozen(account, frozen, amount);
        unchecked {
            frozen -= amount;
        }
        _frozenTokens[account] = frozen;
        if (frozen == 0) _accounts[account] &= ~HAS_FROZEN_TOKENS;
        emit TokensUnfrozen(account, amount, frozen, msg.sender, reason);
    }

    // ---------------------------------------------------------------- compliance views

    /// @notice The restriction mode and the rules in force, in one call (for `token-status`).
    /// @return mode MODE_VERIFIER, MODE_KYC, MODE_SOUL_BOUND or MODE_TIME_LOCKED.
    /// @return policy The transfer verifier, or in MODE_KYC the investor registry.
    /// @return verifierUnrestricted The verifier allows everything (an `unrestricted` token).
    /// @return paused_ Ordinary transfers are paused.
    /// @return maxSupply_ Cap on the total supply (0 = none).
    /// @return allowedInvestorClasses MODE_KYC: bit i = class i may receive (0 = any).
    /// @return releaseTime MODE_TIME_LOCKED: the release time (0 otherwise).
    /// @return holdersTracked Holders are counted (a holder limit can be set).
    /// @return holders Number of non-zero balances (0 when not tracked).
    /// @return maxHolders Holder limit (0 = none).
    /// @return maxBalance Max balance per holder (0 = none).
    /// @return refusedCountryCount How many countries are refused (list: `refusedCountries()`).
    function complianceRules()
        external
        view
        returns (
            uint8 mode,
            address policy,
            bool verifierUnrestricted,
            bool paused_,
            uint256 maxSupply_,
            uint32 allowedInvestorClasses,
            uint32 releaseTime,
            bool holdersTracked,
            uint64 holders,
            uint64 maxHolders,
            uint256 maxBalance,
            uint256 refusedCountryCount
        )
    {
        Settings memory s = _settings;
        HolderRules memory h = _holders;
        return (
            s.mode,
            s.policy,
            s.flags & VERIFIER_UNRESTRICTED != 0,
            s.flags & PAUSED != 0,
            maxSupply,
            s.mode == MODE_KYC ? s.modeParam : 0,
            s.mode == MODE_TIME_LOCKED ? s.modeParam : 0,
            s.flags & TRACK_HOLDERS != 0,
            h.count,
            h.maxHolders,
            h.maxBalance,
            _refusedCountryCount
        );
    }

    /// @notice The refused countries (ISO 3166-1 numeric), ascending.
    function refusedCountries() external view returns (uint16[] memory countries) {
        countries = new uint16[](_refusedCountryCount);
        uint256 n = 0;
        for (uint256 w = 0; w < 4; ++w) {
            uint256 word = _refusedCountries[w];
            for (uint256 b = 0; word != 0; ++b) {
                if (word & 1 != 0) countries[n++] = uint16(w * 256 + b);
                word >>= 1;
            }
        }
    }

    /// @notice Everything the cap table shows about `account`'s holding.
    /// @return balance Its balance.
    /// @return frozen The address is frozen.
    /// @return frozenTokens Part of the balance frozen by FREEZER_ROLE.
    /// @return locked Part of the balance still locked up (released tranches excluded).
    /// @return transferable What an ordinary transfer may move now (ignoring the address freeze,
    /// pause and receiver rules): balance minus frozen tokens minus locked, at least 0.
    /// @return nextRelease The earliest release time of its remaining lock-ups (0 if none).
    function holding(address account)
        external
        view
        returns (
            uint256 balance,
            bool frozen,
            uint256 frozenTokens,
            uint256 locked,
            uint256 transferable,
            uint256 nextRelease
        )
    {
        uint256 packed = _accounts[account];
        balance = packed & BALANCE_MASK;
        frozen = packed & FROZEN != 0;
        frozenTokens = packed & HAS_FROZEN_TOKENS != 0 ? _frozenTokens[account] : 0;
        if (packed & HAS_LOCKS != 0) (locked, nextRelease,) = _scanLockups(account, false);
        transferable = _transferable(balance, frozenTokens, locked);
    }

    /// @notice `account`'s lock-up tranches not yet released now, as a lock-up distribution
    /// would find them (for the command line's check of MAX_LOCKUPS before it prepares anything).
    /// @return count Unreleased tranches (at most MAX_LOCKUPS).
    /// @return lastRelease Release time of the latest of them (a new lock-up with this release
    /// time merges into it); 0 if none.
    function lockups(address account) external view returns (uint256 count, uint256 lastRelease) {
        uint256 summary = _lockSummary[account];
        uint256 stored = (summary >> COUNT_SHIFT) & 0xff;
        for (uint256 i = 0; i < stored; ++i) {
            uint256 release = _tranches[account][i] >> NEXT_RELEASE_SHIFT;
            if (release > block.timestamp) {
                ++count;
                lastRelease = release;
            }
        }
    }

    // ---------------------------------------------------------------- announcements

    /// @notice Registers a payout, vote or other announcement on the token.
    /// @param target The announced contract, at most once per contract; 0x0 for an announcement
    /// with no contract (e.g. a document), which may be repeated.
    /// @param announcementType Free-form type code chosen by the issuer (the CLI's `--type`).
    /// @param contentHash Hash of the announced document, or 0.
    /// @return index of the announcement, from 0.
    function announce(
        address target,
        uint256 announcementType,
        string calldata announcementName,
        string calldata uri,
        bytes32 contentHash
    ) external onlyRole(ANNOUNCE_ROLE) returns (uint256 index) {
        index = _announcements.length;
        if (target != address(0)) {
            if (_announcementIndex[target] != 0) revert AlreadyAnnounced(target);
            _announcementIndex[target] = index + 1;
        }
        _announcements.push(Announcement(target, announcementType, announcementName, uri, contentHash));
        emit Announced(index, target, announcementType, announcementName, uri, contentHash);
    }

    /// @notice Number of announcements made.
    function announcementCount() external view returns (uint256) {
        return _announcements.length;
    }

    /// @notice The announcement at `index` (0 to announcementCount() - 1).
    function announcement(uint256 index)
        external
        view
        returns (
            address target,
            uint256 announcementType,
            string memory announcementName,
            string memory uri,
            bytes32 contentHash
        )
    {
        if (index >= _announcements.length) revert NonexistentAnnouncement(index);
        Announcement storage a = _announcements[index];
        return (a.target, a.announcementType, a.name, a.uri, a.contentHash);
    }

    /// @notice Whether the contract `target` was announced (always false for 0x0).
    function isAnnounced(address target) external view returns (bool) {
        return _announcementIndex[target] != 0;
    }

}
