// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITransferVerifier} from "./ITransferVerifier.sol";
import {ICheckpointToken} from "./ICheckpointToken.sol";

/// @title SecurityToken
/// @notice An ERC-20 share or bond series with issuer controls: role-gated issuance, burns and
/// forced transfers (lost keys, court orders), a pluggable transfer verifier consulted on every
/// ordinary transfer, lazy checkpoints (record dates) and an announcement registry.
///
/// Every balance change emits the standard ERC-20 `Transfer` event exactly once (from 0x0 for
/// issuance, to 0x0 for burns), so any ERC-20 scanner reconstructs balances correctly. The
/// token-specific events (`Issued`, `Burned`, `ForcedTransfer`) are extra annotations.
///
/// Checkpoints are lazy, like OpenZeppelin 4's ERC20Snapshot: taking one writes nothing per account;
/// an account's history is written at its first balance change after a checkpoint, and only when its
/// balance before that change was not zero (a zero past is implied, see `_valueAt`). The balance, the
/// id of the checkpoint current at the account's last change and the length of its history share one
/// storage slot, so when no checkpoint was taken since the account last changed, a transfer touches
/// the same storage as a plain ERC-20 transfer.
///
/// Amounts are limited to 2**160 - 1 base units in total supply (1.46e30 whole tokens at 18 decimals).
contract SecurityToken is IERC20, IERC20Metadata, IERC20Errors, ICheckpointToken, AccessControl {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");
    bytes32 public constant FORCE_TRANSFER_ROLE = keccak256("FORCE_TRANSFER_ROLE");
    bytes32 public constant TRANSFER_VERIFIER_ROLE = keccak256("TRANSFER_VERIFIER_ROLE");
    bytes32 public constant CHECKPOINT_ROLE = keccak256("CHECKPOINT_ROLE");
    bytes32 public constant ANNOUNCE_ROLE = keccak256("ANNOUNCE_ROLE");
    bytes32 public constant TOKEN_INFO_ROLE = keccak256("TOKEN_INFO_ROLE");

    // A balance (of an account, or the total supply) with its checkpoint bookkeeping, packed in one
    // uint256 (written with bit operations: cheaper than a struct on the transfer path):
    //   bits   0..159  balance
    //   bits 160..207  recordedAt: id of the checkpoint that was current when the balance last changed
    //   bits 208..255  historyLength: number of entries in the history of this balance
    uint256 private constant BALANCE_MASK = (1 << 160) - 1;
    uint256 private constant RECORDED_AT_SHIFT = 160;
    uint256 private constant HISTORY_LENGTH_SHIFT = 208;

    /// History entry: the balance was `value` at every checkpoint in (since, id].
    struct Recorded {
        uint48 since;
        uint48 id;
        uint160 value;
    }

    /// Read on every transfer, so packed in one slot.
    struct Settings {
        ITransferVerifier verifier;
        uint48 currentCheckpointId;
        // The verifier said it allows everything: transfers skip calling it.
        bool verifierUnrestricted;
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

    /// @notice Deploys the token with no supply and no verifier; the deployer gets every role
    /// (DEFAULT_ADMIN_ROLE included, which can grant and revoke them).
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

    function totalSupply() external view returns (uint256) {
        return _supply & BALANCE_MASK;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account] & BALANCE_MASK;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @notice The policy consulted on ordinary transfers; 0x0 means ordinary transfers are stopped.
    function transferVerifier() external view returns (address) {
        return address(_settings.verifier);
    }

    /// @notice True when the verifier declared itself unrestricted and is therefore not called.
    function transferVerifierUnrestricted() external view returns (bool) {
        return _settings.verifierUnrestricted;
    }

    // ---------------------------------------------------------------- ordinary transfers

    /// @notice ERC-20 transfer, allowed only if the transfer verifier accepts it.
    function transfer(address to, uint256 value) external returns (bool) {
        _verifiedTransfer(msg.sender, to, value);
        return true;
    }

    /// @notice ERC-20 transferFrom, allowed only if the transfer verifier accepts it. An allowance of
    /// type(uint256).max is never decreased.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _spendAllowance(from, msg.sender, value);
        _verifiedTransfer(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Pays many receivers from the caller's balance in one transaction: one `Transfer`
    /// event per receiver, at most one verifier call and one debit of the sender for the whole batch.
    /// A receiver may appear more than once; the caller may be a receiver (like a self-transfer).
    /// @param to The receivers; none may be 0x0.
    /// @param values The amount for each receiver, in base units; same length as `to`.
    /// @return true (reverts on any failure: all or nothing).
    function batchTransfer(address[] calldata to, uint256[] calldata values) external returns (bool) {
        uint256 length = to.length;
        if (length != values.length) revert LengthMismatch(length, values.length);
        Settings memory settings = _settings;
        if (!settings.verifierUnrestricted) {
            if (address(settings.verifier) == address(0)) revert TransferVerifierNotSet();
            if (!settings.verifier.verifyBatch(msg.sender, to)) _revertBatchRejected(settings.verifier, to, values);
        }
        uint48 checkpointId = settings.currentCheckpointId;
        uint256 total = 0;
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
            // Checked: the sum cannot wrap, so the debit below fails unless every value fits the
            // sender's balance (which also makes the uint160 cast in _credit exact).
            total += value;
            _credit(receiver, value, checkpointId);
            emit Transfer(msg.sender, receiver, value);
            unchecked {
                ++i;
            }
        }
        _debit(msg.sender, total, checkpointId);
        return true;
    }

    // ---------------------------------------------------------------- issuer controls

    /// @notice Creates `value` new tokens on the caller's balance (the issuer's treasury), from
    /// where they are distributed with ordinary or batch transfers.
    function issueTokens(uint256 value) external onlyRole(ISSUER_ROLE) {
        uint48 checkpointId = _settings.currentCheckpointId;
        uint256 supply = _supply;
        if (_recordedAt(supply) < checkpointId) supply = _record(supply, _supplyHistory, checkpointId);
        uint256 current = supply & BALANCE_MASK;
        if (value > BALANCE_MASK - current) revert SupplyOverflow(current, value);
        unchecked {
            _supply = supply + value;
        }
        _credit(msg.sender, value, checkpointId);
        emit Transfer(address(0), msg.sender, value);
        emit Issued(msg.sender, value);
    }

    /// @notice Destroys `value` tokens held by the caller. To burn shares held by someone else,
    /// force-transfer them to the burner first.
    function burnTokens(uint256 value) external onlyRole(BURNER_ROLE) {
        uint48 checkpointId = _settings.currentCheckpointId;
        _debit(msg.sender, value, checkpointId);
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
    /// reversal of an unauthorised trade. Does not consult the transfer verifier. Emits one
    /// `Transfer(from, to, value)` and one `ForcedTransfer` carrying `reason`.
    function forceTransfer(address from, address to, uint256 value, string calldata reason)
        external
        onlyRole(FORCE_TRANSFER_ROLE)
    {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _move(from, to, value, _settings.currentCheckpointId);
        emit ForcedTransfer(msg.sender, from, to, value, reason);
    }

    /// @notice Sets the policy consulted on ordinary transfers. 0x0 stops all ordinary transfers
    /// (issuance, burns and forced transfers keep working). The verifier is asked once, here,
    /// whether it is unrestricted (`ITransferVerifier.isUnrestricted`); if so it is not called on
    /// transfers. Set the verifier again to refresh that answer.
    function setTransferVerifier(ITransferVerifier newVerifier) external onlyRole(TRANSFER_VERIFIER_ROLE) {
        bool unrestricted = false;
        if (address(newVerifier) != address(0)) {
            if (address(newVerifier).code.length == 0) revert VerifierNotContract(address(newVerifier));
            // Low-level, so a verifier without isUnrestricted() (or with a fallback) counts as restricted.
            (bool ok, bytes memory data) =
                address(newVerifier).staticcall(abi.encodeCall(ITransferVerifier.isUnrestricted, ()));
            unrestricted = ok && data.length == 32 && abi.decode(data, (uint256)) == 1;
        }
        emit TransferVerifierChanged(address(_settings.verifier), address(newVerifier));
        _settings.verifier = newVerifier;
        _settings.verifierUnrestricted = unrestricted;
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

    // ---------------------------------------------------------------- internals

    function _verifiedTransfer(address from, address to, uint256 value) private {
        Settings memory settings = _settings;
        if (!settings.verifierUnrestricted) {
            if (address(settings.verifier) == address(0)) revert TransferVerifierNotSet();
            if (!settings.verifier.verify(from, to, value)) revert TransferRejected(from, to, value);
        }
        _move(from, to, value, settings.currentCheckpointId);
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

    function _move(address from, address to, uint256 value, uint48 checkpointId) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _debit(from, value, checkpointId);
        _credit(to, value, checkpointId);
        emit Transfer(from, to, value);
    }

    function _debit(address account, uint256 value, uint48 checkpointId) private {
        uint256 packed = _accounts[account];
        uint256 balance = packed & BALANCE_MASK;
        if (balance < value) revert ERC20InsufficientBalance(account, balance, value);
        if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);
        unchecked {
            // value <= balance: no borrow out of the balance bits.
            _accounts[account] = packed - value;
        }
    }

    function _credit(address account, uint256 value, uint48 checkpointId) private {
        uint256 packed = _accounts[account];
        if (_recordedAt(packed) < checkpointId) packed = _record(packed, _accountHistory[account], checkpointId);
        unchecked {
            // Unreachable for amounts that exist (a balance never exceeds the total supply < 2**160),
            // but a batch credits before it debits, so absurd values must not carry into other bits.
            if (value > BALANCE_MASK - (packed & BALANCE_MASK)) revert BalanceOverflow(account, value);
            _accounts[account] = packed + value;
        }
    }

    function _recordedAt(uint256 packed) private pure returns (uint48) {
        return uint48(packed >> RECORDED_AT_SHIFT);
    }

    /// The first change after checkpoint(s): the balance held at checkpoints (recordedAt, id] is the
    /// unchanged current one. A zero balance is not written: `_valueAt` infers it from the gap.
    /// @return the packed balance with recordedAt = checkpointId and the history length updated.
    function _record(uint256 packed, mapping(uint256 => Recorded) storage history, uint48 checkpointId)
        private
        returns (uint256)
    {
        uint256 balance = packed & BALANCE_MASK;
        uint256 length = packed >> HISTORY_LENGTH_SHIFT;
        if (balance != 0) {
            history[length] = Recorded(_recordedAt(packed), checkpointId, uint160(balance));
            ++length;
        }
        return balance | (uint256(checkpointId) << RECORDED_AT_SHIFT) | (length << HISTORY_LENGTH_SHIFT);
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
        uint256 length = packed >> HISTORY_LENGTH_SHIFT;
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
