// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITransferVerifier} from "./ITransferVerifier.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";

/// @title SecurityTokenBase
/// @notice The storage, events, errors and rule logic shared by SecurityToken and
/// SecurityTokenExtension. The extension runs in the token's storage (the token's fallback
/// delegates to it), so both must declare exactly this storage, in this order: neither may add a
/// state variable of its own (immutables and constants are not storage).
abstract contract SecurityTokenBase is IERC20Errors, AccessControl {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");
    bytes32 public constant FORCE_TRANSFER_ROLE = keccak256("FORCE_TRANSFER_ROLE");
    bytes32 public constant TRANSFER_VERIFIER_ROLE = keccak256("TRANSFER_VERIFIER_ROLE");
    bytes32 public constant CHECKPOINT_ROLE = keccak256("CHECKPOINT_ROLE");
    bytes32 public constant ANNOUNCE_ROLE = keccak256("ANNOUNCE_ROLE");
    bytes32 public constant TOKEN_INFO_ROLE = keccak256("TOKEN_INFO_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant FREEZER_ROLE = keccak256("FREEZER_ROLE");
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    /// @notice Restriction modes (`initializeCompliance`). VERIFIER covers `unrestricted` and
    /// `restricted` tokens: the transfer verifier decides, as before.
    uint8 public constant MODE_VERIFIER = 0;
    uint8 public constant MODE_KYC = 1;
    uint8 public constant MODE_SOUL_BOUND = 2;
    uint8 public constant MODE_TIME_LOCKED = 3;

    /// @notice The SecurityTokenExtension interface version a SecurityToken accepts.
    uint256 internal constant EXTENSION_VERSION = 1;

    /// @notice At most this many unreleased lock-up tranches per holder (released ones free their place).
    uint256 public constant MAX_LOCKUPS = 16;

    // ERC-1404 restriction codes (docs/compliance.md).
    uint8 internal constant OK = 0;
    uint8 internal constant PAUSED_CODE = 1;
    uint8 internal constant SENDER_FROZEN = 2;
    uint8 internal constant RECEIVER_FROZEN = 3;
    uint8 internal constant INSUFFICIENT_BALANCE = 4;
    uint8 internal constant TOKENS_FROZEN = 5;
    uint8 internal constant TOKENS_LOCKED = 6;
    uint8 internal constant VERIFIER_NOT_SET = 7;
    uint8 internal constant VERIFIER_REJECTED = 8;
    uint8 internal constant RECEIVER_NOT_VERIFIED = 9;
    uint8 internal constant RECEIVER_KYC_EXPIRED = 10;
    uint8 internal constant RECEIVER_CLASS_NOT_ALLOWED = 11;
    uint8 internal constant RECEIVER_COUNTRY_REFUSED = 12;
    uint8 internal constant SOUL_BOUND = 13;
    uint8 internal constant TIME_LOCKED = 14;
    uint8 internal constant HOLDER_LIMIT = 15;
    uint8 internal constant MAX_BALANCE_CODE = 16;
    uint8 internal constant INVALID_RECEIVER = 17;

    // A balance (of an account, or the total supply) with its checkpoint bookkeeping and the
    // account's compliance flags, packed in one uint256 (written with bit operations):
    //   bits   0..159  balance
    //   bits 160..207  recordedAt: id of the checkpoint that was current when the balance last changed
    //   bits 208..247  historyLength: number of entries in the history of this balance
    //   bit  248       the address is frozen (sends and receives nothing in ordinary transfers)
    //   bit  249       the account has lock-up tranches (read _lockSummary)
    //   bit  250       part of the account's tokens is frozen (read _frozenTokens)
    uint256 internal constant BALANCE_MASK = (1 << 160) - 1;
    uint256 internal constant RECORDED_AT_SHIFT = 160;
    uint256 internal constant HISTORY_LENGTH_SHIFT = 208;
    uint256 internal constant HISTORY_LENGTH_MASK = (1 << 40) - 1;
    uint256 internal constant FROZEN = 1 << 248;
    uint256 internal constant HAS_LOCKS = 1 << 249;
    uint256 internal constant HAS_FROZEN_TOKENS = 1 << 250;
    uint256 internal constant HOLDS = HAS_LOCKS | HAS_FROZEN_TOKENS;
    uint256 internal constant FLAGS_MASK = uint256(0xff) << 248;

    // Lock-up summary per holder: locked amount (0..159), next release time (160..199), tranche
    // count (200..207). A tranche: amount (0..159), release time (160..199).
    uint256 internal constant TIME_MASK = (1 << 40) - 1;
    uint256 internal constant NEXT_RELEASE_SHIFT = 160;
    uint256 internal constant COUNT_SHIFT = 200;

    // Settings.flags
    uint8 internal constant VERIFIER_UNRESTRICTED = 1;
    uint8 internal constant PAUSED = 2;
    uint8 internal constant TRACK_HOLDERS = 4;
    uint8 internal constant MAX_BALANCE = 8;
    uint8 internal constant COUNTRY_RULE = 16;
    uint8 internal constant CONFIGURED = 32;
    // The Settings slot (layout of the struct below) of a token on which ordinary transfers need no
    // rule but the per-account ones: MODE_VERIFIER, unrestricted verifier, not paused, no holder
    // count, no max balance. Such transfers take a short path.
    uint256 internal constant FAST_MASK =
        (uint256(0xff) << 208) | (uint256(VERIFIER_UNRESTRICTED | PAUSED | TRACK_HOLDERS | MAX_BALANCE) << 216);
    uint256 internal constant FAST_VALUE = uint256(VERIFIER_UNRESTRICTED) << 216;
    // The transfer paths read the Settings slot as one word (`_settingsWord`) and take its fields
    // with shifts: copying the struct to memory cost about 400 gas per checked transfer.
    uint256 internal constant CHECKPOINT_SHIFT = 160;
    uint256 internal constant MODE_SHIFT = 208;
    uint256 internal constant FLAGS_SHIFT = 216;
    uint256 internal constant MODE_PARAM_SHIFT = 224;

    /// History entry: the balance was `value` at every checkpoint in (since, id].
    struct Recorded {
        uint48 since;
        uint48 id;
        uint160 value;
    }

    /// Read on every transfer, so packed in one slot.
    struct Settings {
        // The transfer verifier, or in MODE_KYC the investor registry.
        address policy;
        uint48 currentCheckpointId;
        uint8 mode;
        uint8 flags;
        // MODE_KYC: set of investor classes allowed to receive (bit i = class i; 0 = any class).
        // MODE_TIME_LOCKED: the release time (unix seconds).
        uint32 modeParam;
    }

    /// Read only when an account's balance crosses zero (count) or a max balance is set.
    struct HolderRules {
        uint64 count;
        uint64 maxHolders;
        uint128 maxBalance;
    }

    struct Announcement {
        address target;
        uint256 announcementType;
        string name;
        string uri;
        bytes32 contentHash;
    }

    Settings internal _settings;
    uint256 internal _supply;
    mapping(uint256 index => Recorded) internal _supplyHistory;
    mapping(address account => uint256) internal _accounts;
    mapping(address account => mapping(uint256 index => Recorded)) internal _accountHistory;
    mapping(address account => mapping(address spender => uint256)) internal _allowances;

    string internal _name;
    string internal _symbol;
    /// @notice A URL with information about the issuer and the security (updatable by TOKEN_INFO_ROLE).
    string public url;

    Announcement[] internal _announcements;
    mapping(address target => uint256 indexPlusOne) internal _announcementIndex;


    /// @notice The cap on the total supply set at issue; 0 = no cap. It can be lowered, never raised.
    uint256 public maxSupply;
    HolderRules internal _holders;
    mapping(address account => uint256) internal _lockSummary;
    mapping(address account => mapping(uint256 index => uint256)) internal _tranches;
    mapping(address account => uint256) internal _frozenTokens;
    // Refused countries: bit (country % 256) of word (country / 256), countries 1..999.
    mapping(uint256 word => uint256) internal _refusedCountries;
    uint256 internal _refusedCountryCount;

    /// @notice `value` new tokens were created on `to`'s balance (also emitted: Transfer from 0x0).
    event Issued(address indexed to, uint256 value);
    /// @notice `value` tokens were destroyed from `from`'s balance (also emitted: Transfer to 0x0).
    event Burned(address indexed from, uint256 value);
    /// @notice `operator` moved `value` tokens from `from` to `to` without `from`'s signature
    /// (also emitted: one Transfer from `from` to `to`).
    event ForcedTransfer(
        address indexed operator, address indexed from, address indexed to, uint256 value, string reason
    );
    /// @notice The transfer verifier changed; `newVerifier` 0x0 stops all ordinary transfers.
    event TransferVerifierChanged(address indexed previousVerifier, address indexed newVerifier);
    /// @notice Checkpoint `id` was taken: balances as of this point of the block stay readable.
    event CheckpointCreated(uint256 indexed id, uint256 blockNumber, uint256 timestamp);
    /// @notice An announcement (payout, vote, document) was registered at `index`.
    event Announced(
        uint256 indexed index,
        address indexed target,
        uint256 announcementType,
        string name,
        string uri,
        bytes32 contentHash
    );
    event TokenInformationUpdated(string name, string symbol, string url);
    /// @notice The compliance rules were set at issue (once, before any issuance).
    event ComplianceInitialized(
        uint8 mode,
        address kycRegistry,
        uint256 maxSupply,
        uint32 allowedInvestorClasses,
        uint32 releaseTime,
        bool holdersTracked,
        uint64 maxHolders,
        uint128 maxBalance
    );
    event MaxSupplyChanged(uint256 previousMaxSupply, uint256 maxSupply);
    event Paused(address indexed operator);
    event Unpaused(address indexed operator);
    /// @notice `account` was frozen (`frozen` true) or unfrozen by `operator`.
    event AddressFrozen(address indexed account, bool frozen, address indexed operator, string reason);
    /// @notice `amount` more of `account`'s tokens were frozen; `frozenTokens` is the new total.
    event TokensFrozen(
        address indexed account, uint256 amount, uint256 frozenTokens, address indexed operator, string reason
    );
    /// @notice `amount` of `account`'s frozen tokens were released; `frozenTokens` is the new total.
    event TokensUnfrozen(
        address indexed account, uint256 amount, uint256 frozenTokens, address indexed operator, string reason
    );
    /// @notice `amount` received by `account` is locked until `releaseTime`; `lockedBalance` is its
    /// new locked total.
    event TokensLocked(address indexed account, uint256 amount, uint256 releaseTime, uint256 lockedBalance);
    /// @notice Lock-ups of `account` whose release time passed were removed (lazily, at its next
    /// transfer or lock-up): `released` tokens became transferable; `lockedBalance` remains locked.
    event TokensUnlocked(address indexed account, uint256 released, uint256 lockedBalance);
    event HolderLimitsChanged(uint64 maxHolders, uint256 maxBalance);
    event AllowedInvestorClassesChanged(uint32 allowedInvestorClasses);
    event CountryRefusalChanged(uint16 indexed country, bool refused);
    event ReleaseTimeChanged(uint256 previousReleaseTime, uint256 releaseTime);
    event KycRegistryChanged(address indexed previousRegistry, address indexed newRegistry);

    /// @notice Ordinary transfers need a verifier; none is set.
    error TransferVerifierNotSet();
    /// @notice The verifier rejected the transfer. In a batch, `to`/`value` name the first receiver
    /// the verifier rejects on its own (0x0/0 if none does, i.e. only the batch as a whole failed).
    error TransferRejected(address from, address to, uint256 value);
    /// @notice Issuing `value` would make the total supply exceed 2**160 - 1.
    error SupplyOverflow(uint256 totalSupply, uint256 value);
    error LengthMismatch(uint256 receivers, uint256 values);
    /// @notice Checkpoint ids run from 1 to `currentCheckpointId()`.
    error NonexistentCheckpoint(uint256 id);
    error NonexistentAnnouncement(uint256 index);
    error AlreadyAnnounced(address target);
    /// @notice A transfer verifier must be a contract (or 0x0 to stop transfers).
    error VerifierNotContract(address verifier);
    /// @notice A batch value so large that crediting it would overflow (the batch could never be paid).
    error BalanceOverflow(address account, uint256 value);
    /// @notice Ordinary transfers are paused (code 1).
    error TransfersPaused();
    error TransfersNotPaused();
    /// @notice `account` is frozen: it neither sends nor receives in ordinary transfers (codes 2, 3).
    error FrozenAddress(address account);
    /// @notice Only `unfrozen` of `account`'s balance is not frozen (code 5).
    error FrozenBalance(address account, uint256 unfrozen, uint256 value);
    /// @notice Only `transferable` of `account`'s balance is neither frozen nor locked up (code 6).
    error LockedBalance(address account, uint256 transferable, uint256 value);
    /// @notice `kyc` mode: the receiver has no entry in the investor registry (code 9).
    error ReceiverNotVerified(address account);
    /// @notice `kyc` mode: the receiver's KYC expired at `expiresAt` (code 10).
    error KycExpired(address account, uint256 expiresAt);
    /// @notice `kyc` mode: the receiver's investor class may not receive (code 11).
    error InvestorClassNotAllowed(address account, uint256 investorClass);
    /// @notice `kyc` mode: the receiver's country is refused (code 12).
    error CountryRefused(address account, uint256 country);
    /// @notice `soul-bound` mode: only an issuer may send (code 13).
    error SoulBound(address from);
    /// @notice `time-locked` mode: only an issuer may send before `releaseTime` (code 14).
    error TimeLocked(uint256 releaseTime);
    /// @notice The transfer would add a holder beyond `maxHolders` (code 15).
    error HolderLimitExceeded(uint256 maxHolders);
    /// @notice The receiver's balance would exceed `maxBalance` (code 16).
    error MaxBalanceExceeded(address account, uint256 maxBalance);
    /// @notice Issuing `value` would take the total supply past `maxSupply`.
    error MaxSupplyExceeded(uint256 maxSupply, uint256 totalSupply, uint256 value);
    /// @notice The max supply can only be lowered (or set when there was none).
    error MaxSupplyIncrease(uint256 maxSupply, uint256 requested);
    /// @notice The max supply cannot be set below the current total supply, or to 0.
    error MaxSupplyBelowSupply(uint256 totalSupply, uint256 requested);
    /// @notice `initializeCompliance` runs once, before any issuance or checkpoint.
    error ComplianceAlreadyInitialized();
    error InvalidMode(uint256 mode);
    /// @notice The function is for another restriction mode than the token's `mode`.
    error WrongMode(uint256 mode);
    error RegistryNotContract(address registry);
    /// @notice A holder limit needs holder counting, which is chosen at issue.
    error HolderCountNotTracked();
    error TooManyLockups(address account, uint256 maxLockups);
    error InvalidReleaseTime(uint256 releaseTime);
    /// @notice A time-locked token's release time can only be brought forward.
    error ReleaseTimeLater(uint256 releaseTime, uint256 requested);
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenTokens);
    error UnfreezeExceedsFrozen(address account, uint256 frozenTokens, uint256 amount);
    /// @notice Countries are ISO 3166-1 numeric codes, 1 to 999.
    error InvalidCountry(uint256 country);
    /// @notice The constructor's extension is not a SecurityTokenExtension.
    error ExtensionNotContract(address extension);

    function _isCountryRefused(uint256 country) internal view returns (bool) {
        return (_refusedCountries[country >> 8] >> (country & 0xff)) & 1 != 0;
    }

    // ---------------------------------------------------------------- internals: rules

    /// The restriction mode (MODE_KYC: the receiver's registry entry) and the transfer verifier.
    function _policyCode(uint256 s, address from, address to, uint256 value) internal view returns (uint8) {
        uint256 mode = _mode(s);
        if (mode == MODE_KYC) return _kycCode(s, _investorData(_policy(s), to));
        if (mode == MODE_SOUL_BOUND) {
            if (!hasRole(ISSUER_ROLE, from)) return SOUL_BOUND;
        } else if (mode == MODE_TIME_LOCKED) {
            if (block.timestamp < _modeParam(s) && !hasRole(ISSUER_ROLE, from)) return TIME_LOCKED;
        }
        if (!_has(s, VERIFIER_UNRESTRICTED)) {
            if (_policy(s) == address(0)) return VERIFIER_NOT_SET;
            if (!ITransferVerifier(_policy(s)).verify(from, to, value)) return VERIFIER_REJECTED;
        }
        return OK;
    }

    /// `IInvestorRegistry(registry).investorData(account)` without the ABI coder's memory work: the
    /// one external call of a kyc-mode transfer. A registry that reverts or answers with less than a
    /// word makes the transfer revert.
    function _investorData(address registry, address account) internal view returns (uint256 entry) {
        bytes4 selector = IInvestorRegistry.investorData.selector;
        assembly ("memory-safe") {
            mstore(0, selector)
            mstore(4, account)
            if iszero(staticcall(gas(), registry, 0, 36, 0, 32)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
            if lt(returndatasize(), 32) { revert(0, 0) }
            entry := mload(0)
        }
    }

    /// The receiver's registry entry (layout in IInvestorRegistry) against the token's KYC rules.
    function _kycCode(uint256 s, uint256 entry) internal view returns (uint8) {
        if (entry & 1 == 0) return RECEIVER_NOT_VERIFIED;
        uint256 expiresAt = (entry >> 32) & TIME_MASK;
        if (expiresAt != 0 && block.timestamp >= expiresAt) return RECEIVER_KYC_EXPIRED;
        uint256 classes = _modeParam(s);
        if (classes != 0 && (classes >> ((entry >> 8) & 0xff)) & 1 == 0) return RECEIVER_CLASS_NOT_ALLOWED;
        if (_has(s, COUNTRY_RULE) && _isCountryRefused((entry >> 16) & 0xffff)) return RECEIVER_COUNTRY_REFUSED;
        return OK;
    }

    /// The sender's balance against `value`: insufficient, then frozen tokens, then lock-ups.
    function _holdCode(uint256 balance, uint256 frozenTokens, uint256 locked, uint256 value)
        internal
        pure
        returns (uint8)
    {
        if (value > balance) return INSUFFICIENT_BALANCE;
        uint256 unfrozen = balance > frozenTokens ? balance - frozenTokens : 0;
        if (value > unfrozen) return TOKENS_FROZEN;
        if (value > _transferable(balance, frozenTokens, locked)) return TOKENS_LOCKED;
        return OK;
    }

    /// Holder limit (a new holder while the sender keeps a balance) and max balance per holder.
    function _limitCode(
        uint256 s,
        address from,
        address to,
        uint256 value,
        uint256 fromBalance,
        uint256 toBalance
    ) internal view returns (uint8) {
        if (from == to || value == 0) return OK;
        if (_has(s, TRACK_HOLDERS) && toBalance == 0 && value != fromBalance) {
            HolderRules memory h = _holders;
            if (h.maxHolders != 0 && h.count >= h.maxHolders) return HOLDER_LIMIT;
        }
        if (_has(s, MAX_BALANCE) && toBalance + value > _holders.maxBalance && !hasRole(ISSUER_ROLE, to)) {
            return MAX_BALANCE_CODE;
        }
        return OK;
    }

    /// Reverts with the custom error of ERC-1404 code `code` (never returns).
    function _fail(uint8 code, address from, address to, uint256 value) internal view {
        if (code == PAUSED_CODE) revert TransfersPaused();
        if (code == SENDER_FROZEN) revert FrozenAddress(from);
        if (code == RECEIVER_FROZEN) revert FrozenAddress(to);
        if (code <= TOKENS_LOCKED) {
            uint256 packed = _accounts[from];
            uint256 balance = packed & BALANCE_MASK;
            if (code == INSUFFICIENT_BALANCE) revert ERC20InsufficientBalance(from, balance, value);
            uint256 frozenTokens = packed & HAS_FROZEN_TOKENS != 0 ? _frozenTokens[from] : 0;
            if (code == TOKENS_FROZEN) revert FrozenBalance(from, _transferable(balance, frozenTokens, 0), value);
            uint256 locked = packed & HAS_LOCKS != 0 ? _lockedView(from) : 0;
            revert LockedBalance(from, _transferable(balance, frozenTokens, locked), value);
        }
        if (code == VERIFIER_NOT_SET) revert TransferVerifierNotSet();
        if (code == VERIFIER_REJECTED) revert TransferRejected(from, to, value);
        uint256 s = _settingsWord();
        if (code <= RECEIVER_COUNTRY_REFUSED) {
            uint256 entry = _investorData(_policy(s), to);
            if (code == RECEIVER_NOT_VERIFIED) revert ReceiverNotVerified(to);
            if (code == RECEIVER_KYC_EXPIRED) revert KycExpired(to, (entry >> 32) & TIME_MASK);
            if (code == RECEIVER_CLASS_NOT_ALLOWED) revert InvestorClassNotAllowed(to, (entry >> 8) & 0xff);
            revert CountryRefused(to, uint16(entry >> 16));
        }
        if (code == SOUL_BOUND) revert SoulBound(from);
        if (code == TIME_LOCKED) revert TimeLocked(_modeParam(s));
        if (code == HOLDER_LIMIT) revert HolderLimitExceeded(_holders.maxHolders);
        if (code == MAX_BALANCE_CODE) revert MaxBalanceExceeded(to, _holders.maxBalance);
        revert ERC20InvalidReceiver(address(0));
    }

    function _settingsWord() internal view returns (uint256 s) {
        assembly ("memory-safe") {
            s := sload(_settings.slot)
        }
    }

    function _has(uint256 s, uint8 flags) internal pure returns (bool) {
        return (s >> FLAGS_SHIFT) & flags != 0;
    }

    function _mode(uint256 s) internal pure returns (uint256) {
        return (s >> MODE_SHIFT) & 0xff;
    }

    function _policy(uint256 s) internal pure returns (address) {
        return address(uint160(s));
    }

    function _modeParam(uint256 s) internal pure returns (uint256) {
        return s >> MODE_PARAM_SHIFT;
    }

    function _checkpointOf(uint256 s) internal pure returns (uint48) {
        return uint48(s >> CHECKPOINT_SHIFT);
    }

    function _transferable(uint256 balance, uint256 frozenTokens, uint256 locked) internal pure returns (uint256) {
        uint256 held = frozenTokens + locked;
        return balance > held ? balance - held : 0;
    }

    function _countHolders(uint256 added, uint256 removed) internal {
        if (added == removed || _settings.flags & TRACK_HOLDERS == 0) return;
        _holders.count = uint64(uint256(_holders.count) + added - removed);
    }

    // ---------------------------------------------------------------- internals: holds

    /// The sender's frozen tokens and lock-ups against `value` (releasing due lock-ups first).
    /// @return the sender's balance word to write back (see `_settleHolds`).
    function _requireUnheld(address from, uint256 packed, address to, uint256 value) internal returns (uint256) {
        uint256 locked;
        uint256 frozenTokens;
        (packed, locked, frozenTokens) = _settleHolds(from, packed);
        uint256 balance = packed & BALANCE_MASK;
        // One test for the common case (both holds are below 2**160: the sum cannot wrap). Holds
        // larger than the balance (after a forced transfer) still let a transfer of 0 through.
        if (value > balance || frozenTokens + locked > balance - value) {
            uint8 code = _holdCode(balance, frozenTokens, locked, value);
            if (code != OK) _fail(code, from, to, value);
        }
        return packed;
    }

    /// Releases `account`'s due lock-ups (writing the summary) and reads its frozen tokens.
    /// @return packed the balance word, without HAS_LOCKS when no lock-up remains (the caller writes it).
    function _settleHolds(address account, uint256 packed)
        internal
        returns (uint256, uint256 locked, uint256 frozenTokens)
    {
        if (packed & HAS_LOCKS != 0) {
            uint256 summary = _lockSummary[account];
            if (block.timestamp < (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK) {
                locked = summary & BALANCE_MASK;
            } else {
                locked = _rollLockups(account, summary);
                if (locked == 0) packed &= ~HAS_LOCKS;
            }
        }
        if (packed & HAS_FROZEN_TOKENS != 0) frozenTokens = _frozenTokens[account];
        return (packed, locked, frozenTokens);
    }

    /// Drops the released tranches (bounded: at most MAX_LOCKUPS) and rewrites the summary.
    function _rollLockups(address account, uint256 summary) internal returns (uint256 locked) {
        uint256 count = (summary >> COUNT_SHIFT) & 0xff;
        mapping(uint256 => uint256) storage tranches = _tranches[account];
        uint256 kept = 0;
        uint256 next = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 tranche = tranches[i];
            uint256 release = tranche >> NEXT_RELEASE_SHIFT;
            if (release > block.timestamp) {
                if (kept != i) tranches[kept] = tranche;
                ++kept;
                locked += tranche & BALANCE_MASK;
                if (next == 0 || release < next) next = release;
            }
        }
        _lockSummary[account] = kept == 0 ? 0 : locked | (next << NEXT_RELEASE_SHIFT) | (kept << COUNT_SHIFT);
        emit TokensUnlocked(account, (summary & BALANCE_MASK) - locked, locked);
    }

    /// Locked amount of `account` now, without writing (a view of what `_rollLockups` would keep).
    function _lockedView(address account) internal view returns (uint256 locked) {
        uint256 summary = _lockSummary[account];
        if (block.timestamp < (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK) return summary & BALANCE_MASK;
        (locked,,) = _scanLockups(account, true);
    }

    /// The unreleased tranches' sum, earliest release and count (`due` false: trust the summary
    /// when nothing is due).
    function _scanLockups(address account, bool due)
        internal
        view
        returns (uint256 locked, uint256 next, uint256 kept)
    {
        uint256 summary = _lockSummary[account];
        if (!due && block.timestamp < (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK) {
            return (summary & BALANCE_MASK, (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK, (summary >> COUNT_SHIFT) & 0xff);
        }
        uint256 count = (summary >> COUNT_SHIFT) & 0xff;
        for (uint256 i = 0; i < count; ++i) {
            uint256 tranche = _tranches[account][i];
            uint256 release = tranche >> NEXT_RELEASE_SHIFT;
            if (release > block.timestamp) {
                ++kept;
                locked += tranche & BALANCE_MASK;
                if (next == 0 || release < next) next = release;
            }
        }
    }

    /// Records a tranche of `amount` locked on `account` until `release` (> now). A tranche with
    /// the same release time as the latest one is merged into it.
    function _addLockup(address account, uint256 amount, uint256 release) internal {
        if (release > TIME_MASK) revert InvalidReleaseTime(release);
        uint256 summary = _lockSummary[account];
        uint256 count = (summary >> COUNT_SHIFT) & 0xff;
        if (count != 0 && block.timestamp >= (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK) {
            _rollLockups(account, summary);
            summary = _lockSummary[account];
            count = (summary >> COUNT_SHIFT) & 0xff;
        }
        uint256 locked = (summary & BALANCE_MASK) + amount;
        uint256 next = (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK;
        if (count == 0 || release < next) next = release;
        mapping(uint256 => uint256) storage tranches = _tranches[account];
        uint256 last = count == 0 ? 0 : tranches[count - 1];
        if (count != 0 && last >> NEXT_RELEASE_SHIFT == release) {
            tranches[count - 1] = last + amount;
        } else {
            if (count == MAX_LOCKUPS) revert TooManyLockups(account, MAX_LOCKUPS);
            tranches[count] = amount | (release << NEXT_RELEASE_SHIFT);
            ++count;
        }
        _lockSummary[account] = locked | (next << NEXT_RELEASE_SHIFT) | (count << COUNT_SHIFT);
        emit TokensLocked(account, amount, release, locked);
    }

    // ---------------------------------------------------------------- internals: balances

    /// Debits `value` from `account` whose balance word (possibly with changed flags) is `packed`.
    /// @return the balance left.
    function _debit(address account, uint256 packed, uint256 value, uint48 checkpointId) internal returns (uint256) {
        uint256 balance = packed & BALANCE_MASK;
        if (balance < value) revert ERC20InsufficientBalance(account, balance, value);
        if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);
        unchecked {
            // value <= balance: no borrow out of the balance bits.
            _accounts[account] = packed - value;
            return balance - value;
        }
    }

    /// Credits `value` to `account` whose current balance word is `packed`, setting `flags`.
    /// @return the balance before.
    function _credit(address account, uint256 packed, uint256 value, uint48 checkpointId, uint256 flags)
        internal
        returns (uint256)
    {
        if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);
        uint256 before = packed & BALANCE_MASK;
        // Unreachable for amounts that exist (a balance never exceeds the total supply < 2**160),
        // but absurd values must not carry into other bits.
        if (value > BALANCE_MASK - before) revert BalanceOverflow(account, value);
        unchecked {
            _accounts[account] = (packed + value) | flags;
        }
        return before;
    }

    function _recordedAt(uint256 packed) internal pure returns (uint48) {
        return uint48(packed >> RECORDED_AT_SHIFT);
    }

    /// The first change after checkpoint(s): the balance held at checkpoints (recordedAt, id] is the
    /// unchanged current one. A zero balance is not written: `_valueAt` infers it from the gap.
    /// @return the packed balance with recordedAt = checkpointId, the history length updated and
    /// the account flags kept.
    function _record(uint256 packed, mapping(uint256 => Recorded) storage history, uint48 checkpointId)
        internal
        returns (uint256)
    {
        uint256 balance = packed & BALANCE_MASK;
        uint256 length = (packed >> HISTORY_LENGTH_SHIFT) & HISTORY_LENGTH_MASK;
        if (balance != 0) {
            history[length] = Recorded(_recordedAt(packed), checkpointId, uint160(balance));
            ++length;
        }
        return balance | (uint256(checkpointId) << RECORDED_AT_SHIFT) | (length << HISTORY_LENGTH_SHIFT)
            | (packed & FLAGS_MASK);
    }

    function _spendAllowance(address owner, address spender, uint256 value) internal {
        uint256 current = _allowances[owner][spender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(spender, current, value);
            unchecked {
                _allowances[owner][spender] = current - value;
            }
        }
    }

    /// The balance at checkpoint `checkpointId`. History entries cover consecutive ranges of
    /// checkpoint ids (since, id]; ranges not covered by any entry, up to `recordedAt`, are ranges in
    /// which the balance was zero; after `recordedAt` the balance has not changed, so it is current.
    function _valueAt(uint256 packed, mapping(uint256 => Recorded) storage history, uint256 checkpointId)
        internal
        view
        returns (uint256)
    {
        if (checkpointId == 0 || checkpointId > _settings.currentCheckpointId) {
            revert NonexistentCheckpoint(checkpointId);
        }
        if (checkpointId > _recordedAt(packed)) return packed & BALANCE_MASK;
        // The first entry whose range ends at or after the checkpoint.
        uint256 length = (packed >> HISTORY_LENGTH_SHIFT) & HISTORY_LENGTH_MASK;
        uint256 low = 0;
        uint256 high = length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].id < checkpointId) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        if (low == length) return 0;
        Recorded memory entry = history[low];
        return entry.since < checkpointId ? entry.value : 0;
    }
}
