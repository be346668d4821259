// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICheckpointToken} from "./ICheckpointToken.sol";
import {IKYC} from "./IKYC.sol";

/// @title Payout
/// @notice Pays a payout ERC-20 (a stablecoin, say) pro rata to the holders of a security token as
/// of a checkpoint (the record date): a dividend, an interest or a royalty payment.
///
/// Amounts: a holder's entitlement is `floor(totalFunded * balanceAt / eligibleSupply)` (exact
/// integer arithmetic, `Math.mulDiv`), where `balanceAt` is its balance at the checkpoint and
/// `eligibleSupply` is the total supply at the checkpoint minus the balances of the excluded
/// (treasury) addresses given at deployment. Transfers after the checkpoint change nothing.
///
/// Funding may come in several deposits; entitlements grow with `totalFunded`, so a holder paid
/// before a later deposit can collect the difference. No holder is ever paid more than its
/// entitlement: `paidTo` records what each holder received, and only `entitlement - paidTo` is due.
///
/// Who is paid: any address with a balance at the checkpoint that is not excluded and, when a KYC
/// contract is configured, is whitelisted at the time of payment. The shares of holders who are not
/// whitelisted stay in the base (the contract cannot know the non-whitelisted supply at the
/// checkpoint): their part, everything unclaimed by the expiry and the rounding remainder (less
/// than one base unit per holder) stay in the contract and the admin can reclaim them after expiry.
///
/// Roles: the deployer gets DEFAULT_ADMIN_ROLE (reclaim after expiry, manage roles) and PAYER_ROLE
/// (push payments with `payBatch`). Anyone may fund; holders `claim` themselves.
contract Payout is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice May push payments to holders with `payBatch`.
    bytes32 public constant PAYER_ROLE = keccak256("PAYER_ROLE");

    /// @notice The security token whose holders are paid.
    ICheckpointToken public immutable token;
    /// @notice The record date: balances at this checkpoint of `token` decide the entitlements.
    uint256 public immutable checkpointId;
    /// @notice The ERC-20 paid out.
    IERC20 public immutable payoutToken;
    /// @notice Whitelist a holder must be on when paid; 0x0 = every holder is eligible.
    IKYC public immutable kyc;
    /// @notice Unix time at which claims and payments stop and the admin may reclaim the rest.
    uint256 public immutable expiry;
    /// @notice Total supply at the checkpoint minus the balances of the excluded addresses.
    uint256 public immutable eligibleSupply;
    /// @notice Human-readable name of the payout, e.g. "Dividend 2024".
    string public name;

    /// @notice Sum of all deposits (as received by this contract).
    uint256 public totalFunded;
    /// @notice Sum of all payments to holders.
    uint256 public totalPaid;
    /// @notice Whether `reclaim` ran: everything left went back to the issuer.
    bool public reclaimed;
    /// @notice What each holder has received so far.
    mapping(address holder => uint256) public paidTo;
    /// @notice Whether an address was excluded at deployment (e.g. the issuer's treasury).
    mapping(address account => bool) public isExcluded;
    address[] private _excluded;

    /// @notice `amount` of the payout token was deposited by `funder`; `totalFunded` is the new sum.
    event Funded(address indexed funder, uint256 amount, uint256 totalFunded);
    /// @notice `holder` received `amount`, sent by `operator` (the holder itself for `claim`).
    event Paid(address indexed holder, address indexed operator, uint256 amount);
    /// @notice After expiry, `amount` left in the contract went back to `to`.
    event Reclaimed(address indexed to, uint256 amount);
    /// @notice `payBatch` could not pay `holder` its `amount` (the payout token refused the transfer,
    /// e.g. a blocklisted holder); nothing was recorded as paid, the others were paid.
    event PaymentFailed(address indexed holder, address indexed operator, uint256 amount);

    error ZeroAddress();
    /// @notice The KYC address must be a contract (or 0x0 for none).
    error KycNotContract(address kyc);
    error NonexistentCheckpoint(uint256 checkpointId);
    error ExpiryNotInFuture(uint256 expiry);
    error DuplicateExclusion(address account);
    error NoEligibleSupply();
    /// @notice The payout expired at `expiry`: no more funding, claims or payments.
    error PayoutExpired(uint256 expiry);
    /// @notice Reclaiming is possible only from `expiry` on.
    error PayoutNotExpired(uint256 expiry);
    /// @notice `holder` is excluded, or not whitelisted in the KYC contract.
    error NotEligible(address holder);
    /// @notice Nothing is due to `holder` (no balance at the checkpoint, or already paid in full).
    error NothingToClaim(address holder);
    error NothingToFund();
    error NothingToReclaim();
    /// @notice `roundingRemainder` got a holder list whose balances at the checkpoint do not add up
    /// to the eligible supply, so it is not the complete cap table.
    error IncompleteHolderList(uint256 listedBalance, uint256 eligibleSupply);

    /// @param token_ The security token (must implement ICheckpointToken).
    /// @param checkpointId_ An existing checkpoint of `token_` (1 to currentCheckpointId()).
    /// @param payoutToken_ The ERC-20 to pay out.
    /// @param kyc_ Whitelist for eligible holders, or 0x0 for everyone.
    /// @param expiry_ Unix time after which holders can no longer be paid; must be in the future.
    /// @param name_ Name of the payout.
    /// @param excluded_ Addresses whose shares get nothing and do not count in the pro-rata base,
    /// typically the issuer's treasury (the account holding undistributed shares). No duplicates.
    constructor(
        ICheckpointToken token_,
        uint256 checkpointId_,
        IERC20 payoutToken_,
        IKYC kyc_,
        uint256 expiry_,
        string memory name_,
        address[] memory excluded_
    ) {
        if (address(token_) == address(0) || address(payoutToken_) == address(0)) revert ZeroAddress();
        if (address(kyc_) != address(0) && address(kyc_).code.length == 0) revert KycNotContract(address(kyc_));
        if (checkpointId_ == 0 || checkpointId_ > token_.currentCheckpointId()) {
            revert NonexistentCheckpoint(checkpointId_);
        }
        if (expiry_ <= block.timestamp) revert ExpiryNotInFuture(expiry_);

        uint256 base = token_.totalSupplyAt(checkpointId_);
        for (uint256 i = 0; i < excluded_.length; ++i) {
            address account = excluded_[i];
            if (account == address(0)) revert ZeroAddress();
            if (isExcluded[account]) revert DuplicateExclusion(account);
            isExcluded[account] = true;
            base -= token_.balanceOfAt(account, checkpointId_);
        }
        if (base == 0) revert NoEligibleSupply();

        token = token_;
        checkpointId = checkpointId_;
        payoutToken = payoutToken_;
        kyc = kyc_;
        expiry = expiry_;
        eligibleSupply = base;
        name = name_;
        _excluded = excluded_;
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(PAYER_ROLE, msg.sender);
    }

    // ---------------------------------------------------------------- funding

    /// @notice Deposits `amount` of the payout token from the caller (who must have approved this
    /// contract for at least `amount`). Anyone may fund, until expiry.
    /// @return received The amount actually received (it differs for fee-charging tokens).
    function fund(uint256 amount) external nonReentrant returns (uint256 received) {
        return _fund(amount);
    }

    /// @notice Deposits whatever the caller approved this contract to take, capped at the caller's
    /// balance (the `payout-deposit` step after `payout-approve`). An unlimited approval therefore
    /// deposits the caller's whole balance: approve the exact amount.
    /// @return received The amount actually received.
    function fundFromAllowance() external nonReentrant returns (uint256 received) {
        uint256 amount = Math.min(payoutToken.allowance(msg.sender, address(this)), payoutToken.balanceOf(msg.sender));
        return _fund(amount);
    }

    // ---------------------------------------------------------------- paying

    /// @notice Pays the caller what is due to it.
    /// @return amount paid.
    function claim() external nonReentrant returns (uint256 amount) {
        _requireNotExpired();
        if (!isEligible(msg.sender)) revert NotEligible(msg.sender);
        amount = _due(msg.sender);
        if (amount == 0) revert NothingToClaim(msg.sender);
        _pay(msg.sender, amount);
    }

    /// @notice Pays every listed holder what is due to it. Holders that are not eligible, have
    /// nothing due or were already paid in full are skipped without reverting, so re-running the
    /// same list (e.g. after a partly failed run) never pays anyone twice. A holder whose payment
    /// the payout token refuses (reverts or returns false) is skipped with `PaymentFailed` and
    /// stays due; the others are paid.
    /// @return count Number of holders paid by this call.
    /// @return amount Total paid by this call.
    function payBatch(address[] calldata holders)
        external
        onlyRole(PAYER_ROLE)
        nonReentrant
        returns (uint256 count, uint256 amount)
    {
        _requireNotExpired();
        for (uint256 i = 0; i < holders.length; ++i) {
            address holder = holders[i];
            if (!isEligible(holder)) continue;
            uint256 due = _due(holder);
            if (due == 0) continue;
            // Recorded before the call (no reentrancy window with stale books), undone on failure.
            paidTo[holder] += due;
            totalPaid += due;
            if (!payoutToken.trySafeTransfer(holder, due)) {
                paidTo[holder] -= due;
                totalPaid -= due;
                emit PaymentFailed(holder, msg.sender, due);
                continue;
            }
            emit Paid(holder, msg.sender, due);
            ++count;
            amount += due;
        }
    }

    /// @notice After expiry, sends everything this contract holds of the payout token to `to`:
    /// unclaimed entitlements, the shares of non-eligible holders and the rounding remainder.
    /// @return amount sent.
    function reclaim(address to) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant returns (uint256 amount) {
        if (block.timestamp < expiry) revert PayoutNotExpired(expiry);
        if (to == address(0)) revert ZeroAddress();
        amount = payoutToken.balanceOf(address(this));
        if (amount == 0) revert NothingToReclaim();
        reclaimed = true;
        payoutToken.safeTransfer(to, amount);
        emit Reclaimed(to, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether `holder` may be paid now: not excluded and, if a KYC contract is set,
    /// whitelisted. Says nothing about its balance.
    function isEligible(address holder) public view returns (bool) {
        if (isExcluded[holder]) return false;
        return address(kyc) == address(0) || kyc.isWhitelisted(holder);
    }

    /// @notice `holder`'s balance at the checkpoint (the record date).
    function balanceAtCheckpoint(address holder) public view returns (uint256) {
        return token.balanceOfAt(holder, checkpointId);
    }

    /// @notice `holder`'s pro-rata share of all funds deposited so far (0 for excluded addresses),
    /// whether or not it is whitelisted or already paid.
    function entitlementOf(address holder) public view returns (uint256) {
        if (isExcluded[holder]) return 0;
        return Math.mulDiv(totalFunded, balanceAtCheckpoint(holder), eligibleSupply);
    }

    /// @notice What `claim` would pay `holder` now (0 if not eligible or expired).
    function claimable(address holder) external view returns (uint256) {
        if (block.timestamp >= expiry || !isEligible(holder)) return 0;
        return _due(holder);
    }

    /// @notice Funds deposited and neither paid out nor reclaimed: unclaimed entitlements, shares
    /// of non-eligible holders and the rounding remainder; 0 once `reclaim` sent the rest back.
    /// (Tokens sent to this contract without `fund` are not included; `reclaim` returns them too.)
    function unpaid() external view returns (uint256) {
        if (reclaimed) return 0;
        return totalFunded - totalPaid;
    }

    /// @notice Whether the payout has expired (no more payments; the admin may reclaim).
    function isExpired() external view returns (bool) {
        return block.timestamp >= expiry;
    }

    /// @notice The addresses excluded at deployment.
    function excluded() external view returns (address[] memory) {
        return _excluded;
    }

    /// @notice The rounding remainder: funds that no holder is entitled to because every
    /// entitlement is rounded down, `totalFunded - sum(entitlementOf(h))`, less than one base unit
    /// per holder. Needs the complete list of holders at the checkpoint, each once (excluded
    /// addresses may be listed; they are skipped); reverts with `IncompleteHolderList` when the
    /// listed balances do not add up to `eligibleSupply`.
    function roundingRemainder(address[] calldata holders) external view returns (uint256) {
        uint256 listed = 0;
        uint256 allocated = 0;
        uint256 funded = totalFunded;
        for (uint256 i = 0; i < holders.length; ++i) {
            if (isExcluded[holders[i]]) continue;
            uint256 balance = balanceAtCheckpoint(holders[i]);
            listed += balance;
            allocated += Math.mulDiv(funded, balance, eligibleSupply);
        }
        if (listed != eligibleSupply) revert IncompleteHolderList(listed, eligibleSupply);
        return funded - allocated;
    }

    // ---------------------------------------------------------------- internals

    function _fund(uint256 amount) private returns (uint256 received) {
        _requireNotExpired();
        if (amount == 0) revert NothingToFund();
        uint256 before = payoutToken.balanceOf(address(this));
        payoutToken.safeTransferFrom(msg.sender, address(this), amount);
        received = payoutToken.balanceOf(address(this)) - before;
        totalFunded += received;
        emit Funded(msg.sender, received, totalFunded);
    }

    function _due(address holder) private view returns (uint256) {
        // Entitlements only grow (totalFunded only grows), so this never underflows.
        return entitlementOf(holder) - paidTo[holder];
    }

    function _pay(address holder, uint256 amount) private {
        paidTo[holder] += amount;
        totalPaid += amount;
        payoutToken.safeTransfer(holder, amount);
        emit Paid(holder, msg.sender, amount);
    }

    function _requireNotExpired() private view {
        if (block.timestamp >= expiry) revert PayoutExpired(expiry);
    }
}
