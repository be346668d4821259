// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ITransferVerifier} from "./ITransferVerifier.sol";
import {ICheckpointToken} from "./ICheckpointToken.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";
import {SecurityTokenBase} from "./SecurityTokenBase.sol";
import {SecurityTokenExtension} from "./SecurityTokenExtension.sol";

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
///
/// Code size: the hot half (ERC-20, transfers, issuance, burns, forced transfers, checkpoints) is
/// here; the cold half (compliance configuration, pause, freezes, ERC-1404 views, holdings,
/// announcements, token information) is in a SecurityTokenExtension given to the constructor (or
/// created by it; one serves many tokens), which the fallback delegates every other function to, in
/// this token's storage. Callers see one
/// contract: the ABI of both (the CLI merges them; see docs/contracts.md).
contract SecurityToken is SecurityTokenBase, IERC20, IERC20Metadata, ICheckpointToken {
    address private immutable _extension;

    /// @notice Deploys the token with no supply and no verifier; the deployer gets every role
    /// (DEFAULT_ADMIN_ROLE included, which can grant and revoke them). Without
    /// `initializeCompliance` the token is in MODE_VERIFIER with no max supply and no holder count.
    /// @param extension_ A SecurityTokenExtension (the cold half of the code; one can serve any number
    /// of tokens, since it runs in each token's storage), or 0x0 to create one. Only pass one
    /// created by a SecurityToken or deployed from this repository's artifact: its code runs with
    /// this token's storage and roles.
    constructor(string memory name_, string memory symbol_, string memory url_, address extension_) {
        if (extension_ == address(0)) extension_ = address(new SecurityTokenExtension());
        if (extension_.code.length == 0) revert ExtensionNotContract(extension_);
        // Low-level, so an address without the function reverts with our error, not a bare one.
        (bool ok, bytes memory answer) = extension_.staticcall(abi.encodeWithSignature("securityTokenExtensionVersion()"));
        if (!ok || answer.length != 32 || abi.decode(answer, (uint256)) != EXTENSION_VERSION) {
            revert ExtensionNotContract(extension_);
        }
        _extension = extension_;
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


    // ---------------------------------------------------------------- the cold half

    /// @notice Every function not defined here runs SecurityTokenExtension's code in this token's
    /// storage (compliance configuration, pause, freezes, ERC-1404, holdings, announcements).
    /// Non-payable: ether sent to the token is refused.
    fallback() external {
        address cold = _extension;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), cold, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @notice The contract holding the cold half of this token's code.
    function extension() external view returns (address) {
        return _extension;
    }
}
