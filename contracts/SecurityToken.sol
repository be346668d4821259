// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITransferVerifier} from "./ITransferVerifier.sol";
import {ICheckpointToken} from "./ICheckpointToken.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";
import {IERC1404} from "./IERC1404.sol";
import {TransferRestrictionMessages} from "./TransferRestrictionMessages.sol";

/// @title SecurityToken
/// @notice An ERC-20 share or bond series with issuer controls: role-gated issuance, burns and
/// forced transfers (lost keys, court orders), compliance rules checked on every ordinary transfer
/// (restriction mode, pause, frozen addresses and amounts, lock-ups, holder limits, max supply;
/// see docs/compliance.md), ERC-1404 restriction codes, lazy checkpoints (record dates) and an
/// announcement registry.
///
/// Every balance change emits the standard ERC-20 `Transfer` event exactly once (from 0x0 for
/// issuance, to 0x0 for burns), so any ERC-20 scanner reconstructs balances correctly. The
/// token-specific events (`Issued`, `Burned`, `ForcedTransfer`) are extra annotations.
///
/// Checkpoints are lazy, like OpenZeppelin 4's ERC20Snapshot: taking one writes nothing per account;
/// an account's history is written at its first balance change after a checkpoint, and only when its
/// balance before that change was not zero (a zero past is implied, see `_valueAt`). The balance, the
/// id of the checkpoint current at the account's last change, the length of its history and the
/// account's compliance flags (frozen, has lock-ups, has frozen tokens) share one storage slot, so a
/// transfer between accounts without holds touches the same storage as a plain ERC-20 transfer.
///
/// Gas: the rule configuration read on every transfer (policy address, checkpoint id, mode, flags,
/// class set or release time) is one slot; rules that are not active cost no storage access.
///
/// Amounts are limited to 2**160 - 1 base units in total supply (1.46e30 whole tokens at 18 decimals).
contract SecurityToken is IERC20, IERC20Metadata, IERC20Errors, ICheckpointToken, IERC1404, AccessControl {
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

    /// @notice At most this many unreleased lock-up tranches per holder (released ones free their place).
    uint256 public constant MAX_LOCKUPS = 16;

    // ERC-1404 restriction codes (docs/compliance.md).
    uint8 private constant OK = 0;
    uint8 private constant PAUSED_CODE = 1;
    uint8 private constant SENDER_FROZEN = 2;
    uint8 private constant RECEIVER_FROZEN = 3;
    uint8 private constant INSUFFICIENT_BALANCE = 4;
    uint8 private constant TOKENS_FROZEN = 5;
    uint8 private constant TOKENS_LOCKED = 6;
    uint8 private constant VERIFIER_NOT_SET = 7;
    uint8 private constant VERIFIER_REJECTED = 8;
    uint8 private constant RECEIVER_NOT_VERIFIED = 9;
    uint8 private constant RECEIVER_KYC_EXPIRED = 10;
    uint8 private constant RECEIVER_CLASS_NOT_ALLOWED = 11;
    uint8 private constant RECEIVER_COUNTRY_REFUSED = 12;
    uint8 private constant SOUL_BOUND = 13;
    uint8 private constant TIME_LOCKED = 14;
    uint8 private constant HOLDER_LIMIT = 15;
    uint8 private constant MAX_BALANCE_CODE = 16;
    uint8 private constant INVALID_RECEIVER = 17;

    // A balance (of an account, or the total supply) with its checkpoint bookkeeping and the
    // account's compliance flags, packed in one uint256 (written with bit operations):
    //   bits   0..159  balance
    //   bits 160..207  recordedAt: id of the checkpoint that was current when the balance last changed
    //   bits 208..247  historyLength: number of entries in the history of this balance
    //   bit  248       the address is frozen (sends and receives nothing in ordinary transfers)
    //   bit  249       the account has lock-up tranches (read _lockSummary)
    //   bit  250       part of the account's tokens is frozen (read _frozenTokens)
    uint256 private constant BALANCE_MASK = (1 << 160) - 1;
    uint256 private constant RECORDED_AT_SHIFT = 160;
    uint256 private constant HISTORY_LENGTH_SHIFT = 208;
    uint256 private constant HISTORY_LENGTH_MASK = (1 << 40) - 1;
    uint256 private constant FROZEN = 1 << 248;
    uint256 private constant HAS_LOCKS = 1 << 249;
    uint256 private constant HAS_FROZEN_TOKENS = 1 << 250;
    uint256 private constant HOLDS = HAS_LOCKS | HAS_FROZEN_TOKENS;
    uint256 private constant FLAGS_MASK = uint256(0xff) << 248;

    // Lock-up summary per holder: locked amount (0..159), next release time (160..199), tranche
    // count (200..207). A tranche: amount (0..159), release time (160..199).
    uint256 private constant TIME_MASK = (1 << 40) - 1;
    uint256 private constant NEXT_RELEASE_SHIFT = 160;
    uint256 private constant COUNT_SHIFT = 200;

    // Settings.flags
    uint8 private constant VERIFIER_UNRESTRICTED = 1;
    uint8 private constant PAUSED = 2;
    uint8 private constant TRACK_HOLDERS = 4;
    uint8 private constant MAX_BALANCE = 8;
    uint8 private constant COUNTRY_RULE = 16;
    uint8 private constant CONFIGURED = 32;
    // The Settings slot (layout of the struct below) of a token on which ordinary transfers need no
    // rule but the per-account ones: MODE_VERIFIER, unrestricted verifier, not paused, no holder
    // count, no max balance. Such transfers take a short path.
    uint256 private constant FAST_MASK =
        (uint256(0xff) << 208) | (uint256(VERIFIER_UNRESTRICTED | PAUSED | TRACK_HOLDERS | MAX_BALANCE) << 216);
    uint256 private constant FAST_VALUE = uint256(VERIFIER_UNRESTRICTED) << 216;
    // The transfer paths read the Settings slot as one word (`_settingsWord`) and take its fields
    // with shifts: copying the struct to memory cost about 400 gas per checked transfer.
    uint256 private constant CHECKPOINT_SHIFT = 160;
    uint256 private constant MODE_SHIFT = 208;
    uint256 private constant FLAGS_SHIFT = 216;
    uint256 private constant MODE_PARAM_SHIFT = 224;

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

    Settings private _settings;
    uint256 private _supply;
    mapping(uint256 index => Recorded) private _supplyHistory;
    mapping(address account => uint256) private _accounts;
    mapping(address account => mapping(uint256 index => Recorded)) private _accountHistory;
    mapping(address account => mapping(address spender => uint256)) private _allowances;

    string private _name;
    string private _symbol;
    /// @notice A URL with information about the issuer and the security (updatable by TOKEN_INFO_ROLE).
    string public url;

    Announcement[] private _announcements;
    mapping(address target => uint256 indexPlusOne) private _announcementIndex;

    TransferRestrictionMessages private immutable _messages;

    /// @notice The cap on the total supply set at issue; 0 = no cap. It can be lowered, never raised.
    uint256 public maxSupply;
    HolderRules private _holders;
    mapping(address account => uint256) private _lockSummary;
    mapping(address account => mapping(uint256 index => uint256)) private _tranches;
    mapping(address account => uint256) private _frozenTokens;
    // Refused countries: bit (country % 256) of word (country / 256), countries 1..999.
    mapping(uint256 word => uint256) private _refusedCountries;
    uint256 private _refusedCountryCount;

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

    /// @notice Deploys the token with no supply and no verifier; the deployer gets every role
    /// (DEFAULT_ADMIN_ROLE included, which can grant and revoke them). Without
    /// `initializeCompliance` the token is in MODE_VERIFIER with no max supply and no holder count.
    constructor(string memory name_, string memory symbol_, string memory url_) {
        _name = name_;
        _symbol = symbol_;
        url = url_;
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(ISSUER_ROLE, msg.sender);
        _grantRole(BURNER_ROLE, msg.sender);
        _grantRole(FORCE_TRANSFER_ROLE, msg.sender);
        _grantRole(TRANSFER_VERIFIER_ROLE, msg.sender);
        _grantRole(CHECKPOINT_ROLE, msg.sender);
        _grantRole(ANNOUNCE_ROLE, msg.sender);
        _grantRole(TOKEN_INFO_ROLE, msg.sender);
        _grantRole(PAUSER_ROLE, msg.sender);
        _grantRole(FREEZER_ROLE, msg.sender);
        _grantRole(COMPLIANCE_ROLE, msg.sender);
        _messages = new TransferRestrictionMessages();
    }

    // ---------------------------------------------------------------- ERC-20 metadata and views

    /// @notice The token name (updatable by TOKEN_INFO_ROLE).
    function name() external view returns (string memory) {
        return _name;
    }

    /// @notice The token symbol (updatable by TOKEN_INFO_ROLE).
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice Always 18.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    function totalSupply() public view returns (uint256) {
        return _supply & BALANCE_MASK;
    }

    function balanceOf(address account) public view returns (uint256) {
        return _accounts[account] & BALANCE_MASK;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @notice The policy consulted on ordinary transfers; 0x0 means ordinary transfers are stopped
    /// (always 0x0 in MODE_KYC, which reads `kycRegistry()` instead).
    function transferVerifier() external view returns (address) {
        return _settings.mode == MODE_KYC ? address(0) : _settings.policy;
    }

    /// @notice True when the verifier declared itself unrestricted and is therefore not called.
    function transferVerifierUnrestricted() external view returns (bool) {
        return _settings.flags & VERIFIER_UNRESTRICTED != 0;
    }

    // ---------------------------------------------------------------- ordinary transfers

    /// @notice ERC-20 transfer, allowed only if every compliance rule allows it (the reverts carry
    /// the same reasons as `detectTransferRestriction`).
    function transfer(address to, uint256 value) external returns (bool) {
        _ordinaryTransfer(msg.sender, to, value, 0);
        return true;
    }

    /// @notice ERC-20 transferFrom, allowed only if every compliance rule allows it. An allowance
    /// of type(uint256).max is never decreased.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _spendAllowance(from, msg.sender, value);
        _ordinaryTransfer(from, to, value, 0);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Pays many receivers from the caller's balance in one transaction: one `Transfer`
    /// event per receiver, at most one verifier (or investor registry) call and one debit of the
    /// sender for the whole batch. The sender is debited the sum first, so the batch needs the sum
    /// in the sender's transferable balance. A receiver may appear more than once; the caller may be
    /// a receiver (like a self-transfer).
    /// @param to The receivers; none may be 0x0.
    /// @param values The amount for each receiver, in base units; same length as `to`.
    /// @return true (reverts on any failure: all or nothing).
    function batchTransfer(address[] calldata to, uint256[] calldata values) external returns (bool) {
        _batchTransfer(to, values, values[0:0]);
        return true;
    }

    /// @notice An ordinary transfer whose `value` stays locked on `to` until `releaseTime` (a
    /// distribution with a lock-up). A release time not in the future locks nothing.
    function transferWithLockup(address to, uint256 value, uint256 releaseTime)
        external
        onlyRole(ISSUER_ROLE)
        returns (bool)
    {
        _ordinaryTransfer(msg.sender, to, value, releaseTime);
        return true;
    }

    /// @notice `batchTransfer` in which each receiver's value stays locked until its release time
    /// (a release time not in the future locks nothing).
    function batchTransferWithLockup(address[] calldata to, uint256[] calldata values, uint256[] calldata releaseTimes)
        external
        onlyRole(ISSUER_ROLE)
        returns (bool)
    {
        if (releaseTimes.length != to.length) revert LengthMismatch(to.length, releaseTimes.length);
        _batchTransfer(to, values, releaseTimes);
        return true;
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

    /// @notice The reason for an ERC-1404 code, in words.
    function messageForTransferRestriction(uint8 restrictionCode) external view returns (string memory) {
        return _messages.messageForTransferRestriction(restrictionCode);
    }

    // ---------------------------------------------------------------- issuer controls

    /// @notice Creates `value` new tokens on the caller's balance (the issuer's treasury), from
    /// where they are distributed with ordinary or batch transfers. Never past `maxSupply`.
    function issueTokens(uint256 value) external onlyRole(ISSUER_ROLE) {
        uint48 checkpointId = _settings.currentCheckpointId;
        uint256 supply = _supply;
        if (_recordedAt(supply) < checkpointId) supply = _record(supply, _supplyHistory, checkpointId);
        uint256 current = supply & BALANCE_MASK;
        if (value > BALANCE_MASK - current) revert SupplyOverflow(current, value);
        uint256 cap = maxSupply;
        if (cap != 0 && current + value > cap) revert MaxSupplyExceeded(cap, current, value);
        unchecked {
            _supply = supply + value;
        }
        uint256 before = _credit(msg.sender, _accounts[msg.sender], value, checkpointId, 0);
        if (before == 0 && value != 0) _countHolders(1, 0);
        emit Transfer(address(0), msg.sender, value);
        emit Issued(msg.sender, value);
    }

    /// @notice Destroys `value` tokens held by the caller, whatever its lock-ups and freezes. To
    /// burn shares held by someone else, force-transfer them to the burner first.
    function burnTokens(uint256 value) external onlyRole(BURNER_ROLE) {
        uint48 checkpointId = _settings.currentCheckpointId;
        uint256 left = _debit(msg.sender, _accounts[msg.sender], value, checkpointId);
        if (left == 0 && value != 0) _countHolders(0, 1);
        uint256 supply = _supply;
        if (_recordedAt(supply) < checkpointId) supply = _record(supply, _supplyHistory, checkpointId);
        unchecked {
            // value <= the caller's balance <= the total supply: no borrow out of the balance bits.
            _supply = supply - value;
        }
        emit Transfer(msg.sender, address(0), value);
        emit Burned(msg.sender, value);
    }

    /// @notice Moves shares without the holder's signature: recovery from a lost key, a court order,
    /// reversal of an unauthorised trade. Bypasses every transfer rule (verifier, mode, KYC, pause,
    /// frozen addresses and tokens, lock-ups, holder limits); `from`'s lock-up and freeze records
    /// stay as they are. Emits one `Transfer(from, to, value)` and one `ForcedTransfer` carrying `reason`.
    function forceTransfer(address from, address to, uint256 value, string calldata reason)
        external
        onlyRole(FORCE_TRANSFER_ROLE)
    {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint48 checkpointId = _settings.currentCheckpointId;
        uint256 left = _debit(from, _accounts[from], value, checkpointId);
        uint256 before = _credit(to, _accounts[to], value, checkpointId, 0);
        if (from != to && value != 0) _countHolders(before == 0 ? 1 : 0, left == 0 ? 1 : 0);
        emit Transfer(from, to, value);
        emit ForcedTransfer(msg.sender, from, to, value, reason);
    }

    /// @notice Sets the policy consulted on ordinary transfers (not in MODE_KYC). 0x0 stops all
    /// ordinary transfers (issuance, burns and forced transfers keep working). The verifier is asked
    /// once, here, whether it is unrestricted (`ITransferVerifier.isUnrestricted`); if so it is not
    /// called on transfers. Set the verifier again to refresh that answer.
    function setTransferVerifier(ITransferVerifier newVerifier) external onlyRole(TRANSFER_VERIFIER_ROLE) {
        Settings memory s = _settings;
        if (s.mode == MODE_KYC) revert WrongMode(s.mode);
        bool unrestricted = false;
        if (address(newVerifier) != address(0)) {
            if (address(newVerifier).code.length == 0) revert VerifierNotContract(address(newVerifier));
            // Low-level, so a verifier without isUnrestricted() (or with a fallback) counts as restricted.
            (bool ok, bytes memory data) =
                address(newVerifier).staticcall(abi.encodeCall(ITransferVerifier.isUnrestricted, ()));
            unrestricted = ok && data.length == 32 && abi.decode(data, (uint256)) == 1;
        }
        emit TransferVerifierChanged(s.policy, address(newVerifier));
        _settings.policy = address(newVerifier);
        _settings.flags = unrestricted ? s.flags | VERIFIER_UNRESTRICTED : s.flags & ~VERIFIER_UNRESTRICTED;
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
        if (newMaxSupply == 0 || newMaxSupply < totalSupply()) revert MaxSupplyBelowSupply(totalSupply(), newMaxSupply);
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

    function _isCountryRefused(uint256 country) private view returns (bool) {
        return (_refusedCountries[country >> 8] >> (country & 0xff)) & 1 != 0;
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

    // ---------------------------------------------------------------- checkpoints

    /// @notice Takes a checkpoint (a record date): every balance and the total supply as of now stay
    /// readable forever with `balanceOfAt` / `totalSupplyAt`. Costs the same however many holders.
    /// @return id of the new checkpoint: 1 for the first, then 2, 3, ...
    function checkpoint() external onlyRole(CHECKPOINT_ROLE) returns (uint256) {
        uint48 id = _settings.currentCheckpointId + 1;
        _settings.currentCheckpointId = id;
        emit CheckpointCreated(id, block.number, block.timestamp);
        return id;
    }

    /// @inheritdoc ICheckpointToken
    function currentCheckpointId() external view returns (uint256) {
        return _settings.currentCheckpointId;
    }

    /// @inheritdoc ICheckpointToken
    function balanceOfAt(address account, uint256 checkpointId) external view returns (uint256) {
        return _valueAt(_accounts[account], _accountHistory[account], checkpointId);
    }

    /// @inheritdoc ICheckpointToken
    function totalSupplyAt(uint256 checkpointId) external view returns (uint256) {
        return _valueAt(_supply, _supplyHistory, checkpointId);
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

    // ---------------------------------------------------------------- internals: transfers

    /// An ordinary transfer: every rule, in the order of `detectTransferRestriction`, then the move.
    /// `releaseTime` in the future locks the value on `to` (a lock-up distribution).
    function _ordinaryTransfer(address from, address to, uint256 value, uint256 releaseTime) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 raw = _settingsWord();
        if (raw & FAST_MASK != FAST_VALUE) return _checkedTransfer(raw, from, to, value, releaseTime);
        uint256 fromPacked = _accounts[from];
        uint256 toPacked = _accounts[to];
        if ((fromPacked | toPacked) & FROZEN != 0) revert FrozenAddress(fromPacked & FROZEN != 0 ? from : to);
        if (fromPacked & HOLDS != 0) fromPacked = _requireUnheld(from, fromPacked, to, value);
        uint48 checkpointId = _checkpointOf(raw);
        _debit(from, fromPacked, value, checkpointId);
        uint256 lockFlag = 0;
        if (releaseTime > block.timestamp && value != 0) {
            _addLockup(to, value, releaseTime);
            lockFlag = HAS_LOCKS;
        }
        // A self-transfer's word changed with the debit.
        _credit(to, from == to ? _accounts[to] : toPacked, value, checkpointId, lockFlag);
        emit Transfer(from, to, value);
    }

    /// `_ordinaryTransfer` when a token-wide rule is active.
    function _checkedTransfer(uint256 s, address from, address to, uint256 value, uint256 releaseTime) private {
        if (_has(s, PAUSED)) revert TransfersPaused();
        uint256 fromPacked = _accounts[from];
        uint256 toPacked = _accounts[to];
        if ((fromPacked | toPacked) & FROZEN != 0) revert FrozenAddress(fromPacked & FROZEN != 0 ? from : to);
        uint256 balance = fromPacked & BALANCE_MASK;
        if (fromPacked & HOLDS != 0) {
            fromPacked = _requireUnheld(from, fromPacked, to, value);
        } else if (balance < value) {
            revert ERC20InsufficientBalance(from, balance, value);
        }
        uint8 code = _policyCode(s, from, to, value);
        if (code != OK) _fail(code, from, to, value);
        // The limits matter only for a receiver that becomes a holder, or with a max balance.
        if ((_has(s, TRACK_HOLDERS) && toPacked & BALANCE_MASK == 0) || _has(s, MAX_BALANCE)) {
            code = _limitCode(s, from, to, value, balance, toPacked & BALANCE_MASK);
            if (code != OK) _fail(code, from, to, value);
        }
        uint48 checkpointId = _checkpointOf(s);
        uint256 left = _debit(from, fromPacked, value, checkpointId);
        uint256 lockFlag = 0;
        if (releaseTime > block.timestamp && value != 0) {
            _addLockup(to, value, releaseTime);
            lockFlag = HAS_LOCKS;
        }
        // A self-transfer's word changed with the debit (and changes no holder count).
        if (from == to) {
            _credit(to, _accounts[to], value, checkpointId, lockFlag);
        } else {
            uint256 before = _credit(to, toPacked, value, checkpointId, lockFlag);
            if (_has(s, TRACK_HOLDERS) && value != 0 && (before == 0) != (left == 0)) {
                _countHolders(before == 0 ? 1 : 0, left == 0 ? 1 : 0);
            }
        }
        emit Transfer(from, to, value);
    }

    function _batchTransfer(address[] calldata to, uint256[] calldata values, uint256[] calldata releaseTimes) private {
        uint256 length = to.length;
        if (length != values.length) revert LengthMismatch(length, values.length);
        uint256 raw = _settingsWord();
        uint256 fromPacked = _accounts[msg.sender];
        if (raw & FAST_MASK == FAST_VALUE && releaseTimes.length == 0 && fromPacked & (FROZEN | HOLDS) == 0) {
            _fastBatch(to, values, fromPacked, _checkpointOf(raw));
        } else {
            _checkedBatch(raw, to, values, releaseTimes);
        }
    }

    /// A batch with no rule to check: receivers are credited as they come, except the sender's own
    /// entries (a self-transfer changes nothing), then the sender is debited once, after checking
    /// that its balance covered the whole sum. Same result as debiting the sum first.
    function _fastBatch(address[] calldata to, uint256[] calldata values, uint256 fromPacked, uint48 checkpointId)
        private
    {
        uint256 length = to.length;
        uint256 total = 0;
        uint256 toSelf = 0;
        for (uint256 i = 0; i < length;) {
            // Reads to[i] and values[i] without the compiler's per-element checks (about 200 gas per
            // receiver): i < length == values.length, and the ABI decoder already checked that both
            // arrays lie within the calldata. The address word is validated here instead.
            uint256 word;
            uint256 value;
            assembly ("memory-safe") {
                word := calldataload(add(to.offset, shl(5, i)))
                value := calldataload(add(values.offset, shl(5, i)))
            }
            if (word == 0 || word > type(uint160).max) revert ERC20InvalidReceiver(address(uint160(word)));
            address receiver = address(uint160(word));
            // Checked: the sum cannot wrap.
            total += value;
            if (receiver == msg.sender) {
                toSelf += value;
            } else {
                uint256 packed = _accounts[receiver];
                if (packed & FROZEN != 0) revert FrozenAddress(receiver);
                _credit(receiver, packed, value, checkpointId, 0);
            }
            emit Transfer(msg.sender, receiver, value);
            unchecked {
                ++i;
            }
        }
        uint256 balance = fromPacked & BALANCE_MASK;
        if (balance < total) revert ERC20InsufficientBalance(msg.sender, balance, total);
        unchecked {
            _debit(msg.sender, fromPacked, total - toSelf, checkpointId);
        }
    }

    /// A batch when a rule is active: the sum is debited first, then each receiver is checked and credited.
    function _checkedBatch(uint256 s, address[] calldata to, uint256[] calldata values, uint256[] calldata releaseTimes)
        private
    {
        if (_has(s, PAUSED)) revert TransfersPaused();
        uint256 total = _sum(values);
        uint256 fromPacked = _batchSender(total);
        uint256[] memory entries;
        if (_mode(s) == MODE_KYC) entries = IInvestorRegistry(_policy(s)).investorDataBatch(to);
        else _batchPolicy(s, to, values);
        uint256 left = _debit(msg.sender, fromPacked, total, _checkpointOf(s));
        uint256 added = _payAll(s, to, values, releaseTimes, entries);
        if (_has(s, TRACK_HOLDERS)) {
            uint256 removed = left == 0 && total != 0 ? 1 : 0;
            if (added != removed) {
                HolderRules memory h = _holders;
                uint256 count = h.count + added - removed;
                if (added > removed && h.maxHolders != 0 && count > h.maxHolders) {
                    revert HolderLimitExceeded(h.maxHolders);
                }
                _holders.count = uint64(count);
            }
        }
    }

    /// The sum of a batch's values. Checked: the sum cannot wrap.
    function _sum(uint256[] calldata values) private pure returns (uint256 total) {
        for (uint256 i = 0; i < values.length;) {
            uint256 value;
            assembly ("memory-safe") {
                value := calldataload(add(values.offset, shl(5, i)))
            }
            total += value;
            unchecked {
                ++i;
            }
        }
    }

    /// The batch sender's freeze, balance and holds against the batch's sum (the sender is debited
    /// the sum before any receiver is credited: a self-entry cannot make the batch move more than
    /// the sender held).
    /// @return fromPacked the sender's balance word to debit.
    function _batchSender(uint256 total) private returns (uint256 fromPacked) {
        fromPacked = _accounts[msg.sender];
        if (fromPacked & FROZEN != 0) revert FrozenAddress(msg.sender);
        uint256 balance = fromPacked & BALANCE_MASK;
        if (fromPacked & HOLDS != 0) {
            fromPacked = _requireUnheld(msg.sender, fromPacked, address(0), total);
        } else if (balance < total) {
            revert ERC20InsufficientBalance(msg.sender, balance, total);
        }
    }

    /// Credits every receiver of a batch (the sender was debited already).
    /// @return added how many receivers became holders.
    function _payAll(
        uint256 s,
        address[] calldata to,
        uint256[] calldata values,
        uint256[] calldata releaseTimes,
        uint256[] memory entries
    ) private returns (uint256 added) {
        for (uint256 i = 0; i < to.length;) {
            // Reads to[i] and values[i] without the compiler's per-element checks (about 200 gas per
            // receiver): i < length == values.length, and the ABI decoder already checked that both
            // arrays lie within the calldata. The address word is validated here instead.
            uint256 word;
            uint256 value;
            assembly ("memory-safe") {
                word := calldataload(add(to.offset, shl(5, i)))
                value := calldataload(add(values.offset, shl(5, i)))
            }
            if (word == 0 || word > type(uint160).max) revert ERC20InvalidReceiver(address(uint160(word)));
            added += _payReceiver(
                s,
                address(uint160(word)),
                value,
                releaseTimes.length == 0 ? 0 : releaseTimes[i],
                entries.length == 0 ? 1 : entries[i]
            );
            unchecked {
                ++i;
            }
        }
    }

    /// One receiver of a batch: its KYC entry (MODE_KYC), lock-up, credit, max balance, Transfer.
    /// @return 1 when the receiver became a holder.
    function _payReceiver(uint256 s, address receiver, uint256 value, uint256 release, uint256 entry)
        private
        returns (uint256)
    {
        if (_mode(s) == MODE_KYC) {
            uint8 code = _kycCode(s, entry);
            if (code != OK) _fail(code, msg.sender, receiver, value);
        }
        uint256 flags = 0;
        if (release > block.timestamp && value != 0) {
            _addLockup(receiver, value, release);
            flags = HAS_LOCKS;
        }
        uint256 packed = _accounts[receiver];
        if (packed & FROZEN != 0) revert FrozenAddress(receiver);
        uint256 before = _credit(receiver, packed, value, _checkpointOf(s), flags);
        if (_has(s, MAX_BALANCE) && receiver != msg.sender) {
            uint256 maxBalance = _holders.maxBalance;
            if (before + value > maxBalance && !hasRole(ISSUER_ROLE, receiver)) {
                revert MaxBalanceExceeded(receiver, maxBalance);
            }
        }
        emit Transfer(msg.sender, receiver, value);
        return before == 0 && value != 0 ? 1 : 0;
    }

    /// The sender-side mode rule and the verifier, for a batch (MODE_KYC checks each receiver instead).
    function _batchPolicy(uint256 s, address[] calldata to, uint256[] calldata values) private view {
        uint256 mode = _mode(s);
        if (mode == MODE_SOUL_BOUND) {
            if (!hasRole(ISSUER_ROLE, msg.sender)) revert SoulBound(msg.sender);
        } else if (mode == MODE_TIME_LOCKED) {
            if (block.timestamp < _modeParam(s) && !hasRole(ISSUER_ROLE, msg.sender)) revert TimeLocked(_modeParam(s));
        }
        if (!_has(s, VERIFIER_UNRESTRICTED)) {
            if (_policy(s) == address(0)) revert TransferVerifierNotSet();
            ITransferVerifier verifier = ITransferVerifier(_policy(s));
            if (!verifier.verifyBatch(msg.sender, to)) _revertBatchRejected(verifier, to, values);
        }
    }

    /// Finds the first receiver the verifier rejects on its own, for a useful revert reason.
    function _revertBatchRejected(ITransferVerifier verifier, address[] calldata to, uint256[] calldata values)
        private
        view
    {
        for (uint256 i = 0; i < to.length; ++i) {
            if (!verifier.verify(msg.sender, to[i], values[i])) revert TransferRejected(msg.sender, to[i], values[i]);
        }
        revert TransferRejected(msg.sender, address(0), 0);
    }

    // ---------------------------------------------------------------- internals: rules

    /// The restriction mode (MODE_KYC: the receiver's registry entry) and the transfer verifier.
    function _policyCode(uint256 s, address from, address to, uint256 value) private view returns (uint8) {
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
    function _investorData(address registry, address account) private view returns (uint256 entry) {
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
    function _kycCode(uint256 s, uint256 entry) private view returns (uint8) {
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
        private
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
    ) private view returns (uint8) {
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
    function _fail(uint8 code, address from, address to, uint256 value) private view {
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

    function _settingsWord() private view returns (uint256 s) {
        assembly ("memory-safe") {
            s := sload(_settings.slot)
        }
    }

    function _has(uint256 s, uint8 flags) private pure returns (bool) {
        return (s >> FLAGS_SHIFT) & flags != 0;
    }

    function _mode(uint256 s) private pure returns (uint256) {
        return (s >> MODE_SHIFT) & 0xff;
    }

    function _policy(uint256 s) private pure returns (address) {
        return address(uint160(s));
    }

    function _modeParam(uint256 s) private pure returns (uint256) {
        return s >> MODE_PARAM_SHIFT;
    }

    function _checkpointOf(uint256 s) private pure returns (uint48) {
        return uint48(s >> CHECKPOINT_SHIFT);
    }

    function _transferable(uint256 balance, uint256 frozenTokens, uint256 locked) private pure returns (uint256) {
        uint256 held = frozenTokens + locked;
        return balance > held ? balance - held : 0;
    }

    function _countHolders(uint256 added, uint256 removed) private {
        if (added == removed || _settings.flags & TRACK_HOLDERS == 0) return;
        _holders.count = uint64(uint256(_holders.count) + added - removed);
    }

    // ---------------------------------------------------------------- internals: holds

    /// The sender's frozen tokens and lock-ups against `value` (releasing due lock-ups first).
    /// @return the sender's balance word to write back (see `_settleHolds`).
    function _requireUnheld(address from, uint256 packed, address to, uint256 value) private returns (uint256) {
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
        private
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
    function _rollLockups(address account, uint256 summary) private returns (uint256 locked) {
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
    function _lockedView(address account) private view returns (uint256 locked) {
        uint256 summary = _lockSummary[account];
        if (block.timestamp < (summary >> NEXT_RELEASE_SHIFT) & TIME_MASK) return summary & BALANCE_MASK;
        (locked,,) = _scanLockups(account, true);
    }

    /// The unreleased tranches' sum, earliest release and count (`due` false: trust the summary
    /// when nothing is due).
    function _scanLockups(address account, bool due)
        private
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
    function _addLockup(address account, uint256 amount, uint256 release) private {
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
    function _debit(address account, uint256 packed, uint256 value, uint48 checkpointId) private returns (uint256) {
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
        private
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

    function _recordedAt(uint256 packed) private pure returns (uint48) {
        return uint48(packed >> RECORDED_AT_SHIFT);
    }

    /// The first change after checkpoint(s): the balance held at checkpoints (recordedAt, id] is the
    /// unchanged current one. A zero balance is not written: `_valueAt` infers it from the gap.
    /// @return the packed balance with recordedAt = checkpointId, the history length updated and
    /// the account flags kept.
    function _record(uint256 packed, mapping(uint256 => Recorded) storage history, uint48 checkpointId)
        private
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

    function _spendAllowance(address owner, address spender, uint256 value) private {
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
        private
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
