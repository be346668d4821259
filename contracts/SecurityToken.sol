// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITransferVerifier} from "./ITransferVerifier.sol";

/// @title SecurityToken
/// @notice An ERC-20 share or bond series with issuer controls: role-gated issuance, burns and
/// forced transfers (lost keys, court orders), a pluggable transfer verifier consulted on every
/// ordinary transfer, lazy checkpoints (record dates) and an announcement registry.
///
/// Every balance change emits the standard ERC-20 `Transfer` event exactly once (from 0x0 for
/// issuance, to 0x0 for burns), so any ERC-20 scanner reconstructs balances correctly. The
/// token-specific events (`Issued`, `Burned`, `ForcedTransfer`) are extra annotations.
///
/// Checkpoints work like OpenZeppelin 4's ERC20Snapshot: history is written only for an account
/// whose balance has not been recorded since the latest checkpoint. The balance and the id of the
/// checkpoint last recorded for an account share one storage slot, so when no checkpoint was taken
/// since the account last changed, a transfer costs no more storage access than a plain ERC-20.
contract SecurityToken is IERC20, IERC20Metadata, IERC20Errors, AccessControl {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");
    bytes32 public constant FORCE_TRANSFER_ROLE = keccak256("FORCE_TRANSFER_ROLE");
    bytes32 public constant TRANSFER_VERIFIER_ROLE = keccak256("TRANSFER_VERIFIER_ROLE");
    bytes32 public constant CHECKPOINT_ROLE = keccak256("CHECKPOINT_ROLE");
    bytes32 public constant ANNOUNCE_ROLE = keccak256("ANNOUNCE_ROLE");
    bytes32 public constant TOKEN_INFO_ROLE = keccak256("TOKEN_INFO_ROLE");

    /// A balance and the id of the latest checkpoint at which its history was recorded, in one slot.
    struct Account {
        uint208 balance;
        uint48 recordedAt;
    }

    /// The value an account (or the total supply) had when checkpoint `id` was taken.
    struct Recorded {
        uint48 id;
        uint208 value;
    }

    struct Announcement {
        address target;
        uint256 announcementType;
        string name;
        string uri;
        bytes32 contentHash;
    }

    mapping(address account => Account) private _accounts;
    mapping(address account => mapping(address spender => uint256)) private _allowances;
    mapping(address account => Recorded[]) private _accountHistory;
    Recorded[] private _supplyHistory;

    // Read together on every transfer, so they share a slot.
    ITransferVerifier private _transferVerifier;
    uint48 private _currentCheckpointId;

    uint208 private _totalSupply;
    uint48 private _supplyRecordedAt;

    string private _name;
    string private _symbol;
    string public url;

    Announcement[] private _announcements;
    mapping(address target => uint256 indexPlusOne) private _announcementIndex;

    event Issued(address indexed to, uint256 value);
    event Burned(address indexed from, uint256 value);
    event ForcedTransfer(
        address indexed operator, address indexed from, address indexed to, uint256 value, string reason
    );
    event TransferVerifierChanged(address indexed previousVerifier, address indexed newVerifier);
    event CheckpointCreated(uint256 indexed id, uint256 blockNumber, uint256 timestamp);
    event Announced(
        uint256 indexed index,
        address indexed target,
        uint256 announcementType,
        string name,
        string uri,
        bytes32 contentHash
    );
    event TokenInformationUpdated(string name, string symbol, string url);

    error TransferVerifierNotSet();
    error TransferRejected(address from, address to, uint256 value);
    error SupplyOverflow(uint256 totalSupply, uint256 value);
    error LengthMismatch(uint256 receivers, uint256 values);
    error NonexistentCheckpoint(uint256 id);
    error AlreadyAnnounced(address target);

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

    function name() external view returns (string memory) {
        return _name;
    }

    function symbol() external view returns (string memory) {
        return _symbol;
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    function transferVerifier() external view returns (address) {
        return address(_transferVerifier);
    }

    // ---------------------------------------------------------------- ordinary transfers

    function transfer(address to, uint256 value) external returns (bool) {
        _verify(msg.sender, to, value);
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _verify(from, to, value);
        _transfer(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Pays many receivers from the caller's balance in one transaction: one `Transfer`
    /// event per receiver, one verifier call and one debit of the sender for the whole batch.
    function batchTransfer(address[] calldata to, uint256[] calldata values) external returns (bool) {
        if (to.length != values.length) revert LengthMismatch(to.length, values.length);
        ITransferVerifier verifier = _transferVerifier;
        uint48 checkpointId = _currentCheckpointId;
        if (address(verifier) == address(0)) revert TransferVerifierNotSet();
        if (!verifier.verifyBatch(msg.sender, to)) revert TransferRejected(msg.sender, address(0), 0);

        uint256 total = 0;
        for (uint256 i = 0; i < to.length; ++i) {
            address receiver = to[i];
            uint256 value = values[i];
            if (receiver == address(0)) revert ERC20InvalidReceiver(address(0));
            if (receiver == msg.sender) revert ERC20InvalidReceiver(receiver);
            total += value;
            _credit(receiver, value, checkpointId);
            emit Transfer(msg.sender, receiver, value);
        }
        _debit(msg.sender, total, checkpointId);
        return true;
    }

    // ---------------------------------------------------------------- issuer controls

    /// @notice Creates new shares on the caller's balance.
    function issueTokens(uint256 value) external onlyRole(ISSUER_ROLE) {
        uint48 checkpointId = _currentCheckpointId;
        _recordSupply(checkpointId);
        uint256 newSupply = uint256(_totalSupply) + value;
        if (newSupply > type(uint208).max) revert SupplyOverflow(_totalSupply, value);
        _totalSupply = uint208(newSupply);
        _credit(msg.sender, value, checkpointId);
        emit Transfer(address(0), msg.sender, value);
        emit Issued(msg.sender, value);
    }

    /// @notice Destroys shares held by the caller.
    function burnTokens(uint256 value) external onlyRole(BURNER_ROLE) {
        uint48 checkpointId = _currentCheckpointId;
        _debit(msg.sender, value, checkpointId);
        _recordSupply(checkpointId);
        _totalSupply -= uint208(value);
        emit Transfer(msg.sender, address(0), value);
        emit Burned(msg.sender, value);
    }

    /// @notice Moves shares without the holder's signature: recovery from a lost key, a court order,
    /// reversal of an unauthorised trade. Does not consult the transfer verifier.
    function forceTransfer(address from, address to, uint256 value, string calldata reason)
        external
        onlyRole(FORCE_TRANSFER_ROLE)
    {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _transfer(from, to, value);
        emit ForcedTransfer(msg.sender, from, to, value, reason);
    }

    function setTransferVerifier(ITransferVerifier newVerifier) external onlyRole(TRANSFER_VERIFIER_ROLE) {
        emit TransferVerifierChanged(address(_transferVerifier), address(newVerifier));
        _transferVerifier = newVerifier;
    }

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

    /// @notice Takes a checkpoint (a record date): balances as of now stay readable forever.
    /// @return id of the new checkpoint, starting from 1.
    function checkpoint() external onlyRole(CHECKPOINT_ROLE) returns (uint256) {
        uint48 id = _currentCheckpointId + 1;
        _currentCheckpointId = id;
        emit CheckpointCreated(id, block.number, block.timestamp);
        return id;
    }

    function currentCheckpointId() external view returns (uint256) {
        return _currentCheckpointId;
    }

    function balanceOfAt(address account, uint256 checkpointId) external view returns (uint256) {
        (bool found, uint256 value) = _valueAt(_accountHistory[account], checkpointId);
        return found ? value : _accounts[account].balance;
    }

    function totalSupplyAt(uint256 checkpointId) external view returns (uint256) {
        (bool found, uint256 value) = _valueAt(_supplyHistory, checkpointId);
        return found ? value : _totalSupply;
    }

    // ---------------------------------------------------------------- announcements

    /// @notice Registers a payout, vote or other announcement contract on the token.
    function announce(
        address target,
        uint256 announcementType,
        string calldata announcementName,
        string calldata uri,
        bytes32 contentHash
    ) external onlyRole(ANNOUNCE_ROLE) returns (uint256 index) {
        if (_announcementIndex[target] != 0) revert AlreadyAnnounced(target);
        index = _announcements.length;
        _announcements.push(Announcement(target, announcementType, announcementName, uri, contentHash));
        _announcementIndex[target] = index + 1;
        emit Announced(index, target, announcementType, announcementName, uri, contentHash);
    }

    function announcementCount() external view returns (uint256) {
        return _announcements.length;
    }

    function announcement(uint256 index)
        external
        view
        returns (address target, uint256 announcementType, string memory announcementName, string memory uri, bytes32 contentHash)
    {
        Announcement storage a = _announcements[index];
        return (a.target, a.announcementType, a.name, a.uri, a.contentHash);
    }

    function isAnnounced(address target) external view returns (bool) {
        return _announcementIndex[target] != 0;
    }

    // ---------------------------------------------------------------- internals

    function _verify(address from, address to, uint256 value) private view {
        ITransferVerifier verifier = _transferVerifier;
        if (address(verifier) == address(0)) revert TransferVerifierNotSet();
        if (!verifier.verify(from, to, value)) revert TransferRejected(from, to, value);
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint48 checkpointId = _currentCheckpointId;
        _debit(from, value, checkpointId);
        _credit(to, value, checkpointId);
        emit Transfer(from, to, value);
    }

    function _debit(address account, uint256 value, uint48 checkpointId) private {
        Account memory current = _accounts[account];
        if (current.balance < value) revert ERC20InsufficientBalance(account, current.balance, value);
        if (current.recordedAt < checkpointId) {
            _accountHistory[account].push(Recorded(checkpointId, current.balance));
        }
        // value <= balance < 2**208, so the cast is exact.
        _accounts[account] = Account(current.balance - uint208(value), checkpointId);
    }

    function _credit(address account, uint256 value, uint48 checkpointId) private {
        Account memory current = _accounts[account];
        if (current.recordedAt < checkpointId) {
            _accountHistory[account].push(Recorded(checkpointId, current.balance));
        }
        // No balance can exceed the total supply, which is bounded by 2**208 at issuance.
        _accounts[account] = Account(current.balance + uint208(value), checkpointId);
    }

    function _recordSupply(uint48 checkpointId) private {
        if (_supplyRecordedAt < checkpointId) {
            _supplyHistory.push(Recorded(checkpointId, _totalSupply));
            _supplyRecordedAt = checkpointId;
        }
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

    /// The value recorded for the first checkpoint at or after `checkpointId`: history is written
    /// at the first change after a checkpoint, so that entry holds the value the checkpoint saw.
    /// Not found means nothing changed since, and the current value applies.
    function _valueAt(Recorded[] storage history, uint256 checkpointId) private view returns (bool, uint256) {
        if (checkpointId == 0 || checkpointId > _currentCheckpointId) revert NonexistentCheckpoint(checkpointId);
        uint256 low = 0;
        uint256 high = history.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].id < checkpointId) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        if (low == history.length) return (false, 0);
        return (true, history[low].value);
    }
}
