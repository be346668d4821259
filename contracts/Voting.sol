// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICheckpointToken} from "./ICheckpointToken.sol";
import {IKYC} from "./IKYC.sol";

/// @title Voting
/// @notice An on-chain shareholder ballot: one question with named options, voted by the holders of
/// a security token with the weight of their balance at a checkpoint (the record date), so shares
/// bought after the record date carry no vote and selling them does not take one away.
///
/// Each holder votes once and cannot change its vote. Votes are accepted until `endTime`
/// (exclusive). Excluded addresses (e.g. the issuer's treasury: treasury shares carry no vote) and,
/// when a KYC contract is configured, addresses not whitelisted at the time of voting cannot vote.
/// Results are public at all times: per-option weight, number of voters, total weight voted.
///
/// The contract has no owner and no admin functions: nothing can change a ballot once deployed.
contract Voting {
    /// @notice The security token whose holders vote.
    ICheckpointToken public immutable token;
    /// @notice The record date: balances at this checkpoint of `token` are the voting weights.
    uint256 public immutable checkpointId;
    /// @notice Whitelist a voter must be on when voting; 0x0 = every holder may vote.
    IKYC public immutable kyc;
    /// @notice Unix time from which votes are rejected.
    uint256 public immutable endTime;
    /// @notice Total supply at the checkpoint minus the balances of the excluded addresses: the
    /// weight of all possible votes (for turnout and quorum).
    uint256 public immutable eligibleSupply;
    /// @notice The question or title of the ballot.
    string public name;

    /// A vote: the option index + 1 (0 = has not voted) and the weight counted, in one slot.
    struct Ballot {
        uint64 choice;
        uint192 weight;
    }

    /// The running totals, in one slot (a vote updates both).
    struct Tally {
        uint64 voterCount;
        uint192 totalVotedWeight;
    }

    Tally private _tally;
    /// @notice Whether an address was excluded at deployment.
    mapping(address account => bool) public isExcluded;

    string[] private _options;
    uint256[] private _optionWeights;
    address[] private _excluded;
    mapping(address voter => Ballot) private _ballots;

    /// @notice `voter` voted for `option` with `weight` (its balance at the checkpoint).
    event Voted(address indexed voter, uint256 indexed option, uint256 weight);

    error ZeroAddress();
    /// @notice The KYC address must be a contract (or 0x0 for none).
    error KycNotContract(address kyc);
    error NonexistentCheckpoint(uint256 checkpointId);
    error EndTimeNotInFuture(uint256 endTime);
    error TooFewOptions(uint256 count);
    error EmptyOption(uint256 index);
    error DuplicateExclusion(address account);
    /// @notice Voting ended at `endTime`.
    error VotingClosed(uint256 endTime);
    error NonexistentOption(uint256 option);
    /// @notice `voter` already voted for `option`; votes cannot be changed.
    error AlreadyVoted(address voter, uint256 option);
    /// @notice `voter` is excluded, or not whitelisted in the KYC contract.
    error NotEligible(address voter);
    /// @notice `voter` held nothing at the checkpoint.
    error NoVotingWeight(address voter);

    /// @param token_ The security token (must implement ICheckpointToken).
    /// @param checkpointId_ An existing checkpoint of `token_` (1 to currentCheckpointId()).
    /// @param kyc_ Whitelist for voters, or 0x0 for every holder.
    /// @param endTime_ Unix time from which votes are rejected; must be in the future.
    /// @param name_ The question or title.
    /// @param options_ At least two non-empty options, e.g. ["Yes", "No", "Abstain"].
    /// @param excluded_ Addresses that may not vote, e.g. the issuer's treasury. No duplicates.
    constructor(
        ICheckpointToken token_,
        uint256 checkpointId_,
        IKYC kyc_,
        uint256 endTime_,
        string memory name_,
        string[] memory options_,
        address[] memory excluded_
    ) {
        if (address(token_) == address(0)) revert ZeroAddress();
        if (address(kyc_) != address(0) && address(kyc_).code.length == 0) revert KycNotContract(address(kyc_));
        if (checkpointId_ == 0 || checkpointId_ > token_.currentCheckpointId()) {
            revert NonexistentCheckpoint(checkpointId_);
        }
        if (endTime_ <= block.timestamp) revert EndTimeNotInFuture(endTime_);
        if (options_.length < 2) revert TooFewOptions(options_.length);
        for (uint256 i = 0; i < options_.length; ++i) {
            if (bytes(options_[i]).length == 0) revert EmptyOption(i);
            _options.push(options_[i]);
            _optionWeights.push(0);
        }
        uint256 base = token_.totalSupplyAt(checkpointId_);
        for (uint256 i = 0; i < excluded_.length; ++i) {
            address account = excluded_[i];
            if (account == address(0)) revert ZeroAddress();
            if (isExcluded[account]) revert DuplicateExclusion(account);
            isExcluded[account] = true;
            base -= token_.balanceOfAt(account, checkpointId_);
        }
        token = token_;
        checkpointId = checkpointId_;
        kyc = kyc_;
        endTime = endTime_;
        eligibleSupply = base;
        name = name_;
        _excluded = excluded_;
    }

    /// @notice Casts the caller's vote for option `option` (an index into `options()`), with the
    /// weight of its balance at the checkpoint. One vote per address, final.
    /// @return weight The weight counted.
    function vote(uint256 option) external returns (uint256 weight) {
        if (block.timestamp >= endTime) revert VotingClosed(endTime);
        if (option >= _options.length) revert NonexistentOption(option);
        uint256 previous = _ballots[msg.sender].choice;
        if (previous != 0) revert AlreadyVoted(msg.sender, previous - 1);
        if (!canVote(msg.sender)) revert NotEligible(msg.sender);
        weight = token.balanceOfAt(msg.sender, checkpointId);
        if (weight == 0) revert NoVotingWeight(msg.sender);

        // option < optionCount, which fits in uint64 (it was pushed in the constructor).
        _ballots[msg.sender] = Ballot(uint64(option + 1), SafeCast.toUint192(weight));
        _optionWeights[option] += weight;
        Tally memory tally = _tally;
        _tally = Tally(tally.voterCount + 1, SafeCast.toUint192(uint256(tally.totalVotedWeight) + weight));
        emit Voted(msg.sender, option, weight);
    }

    // ---------------------------------------------------------------- views

    /// @notice Number of holders who voted.
    function voterCount() external view returns (uint256) {
        return _tally.voterCount;
    }

    /// @notice Sum of the weights of all votes cast.
    function totalVotedWeight() external view returns (uint256) {
        return _tally.totalVotedWeight;
    }

    /// @notice Whether votes are still accepted.
    function isOpen() external view returns (bool) {
        return block.timestamp < endTime;
    }

    /// @notice Whether `voter` is allowed to vote now (not excluded; whitelisted if KYC is set).
    /// Says nothing about its weight or whether it already voted.
    function canVote(address voter) public view returns (bool) {
        if (isExcluded[voter]) return false;
        return address(kyc) == address(0) || kyc.isWhitelisted(voter);
    }

    /// @notice `voter`'s voting weight: its balance at the checkpoint (0 if excluded).
    function weightOf(address voter) external view returns (uint256) {
        if (isExcluded[voter]) return 0;
        return token.balanceOfAt(voter, checkpointId);
    }

    /// @notice Whether `voter` has voted.
    function hasVoted(address voter) external view returns (bool) {
        return _ballots[voter].choice != 0;
    }

    /// @notice How `voter` voted.
    /// @return voted false if it has not voted (then option and weight are 0).
    function voteOf(address voter) external view returns (bool voted, uint256 option, uint256 weight) {
        Ballot memory ballot = _ballots[voter];
        if (ballot.choice == 0) return (false, 0, 0);
        return (true, ballot.choice - 1, ballot.weight);
    }

    /// @notice Number of options.
    function optionCount() external view returns (uint256) {
        return _options.length;
    }

    /// @notice All options, in index order.
    function options() external view returns (string[] memory) {
        return _options;
    }

    /// @notice The weight voted for each option, in index order.
    function results() external view returns (uint256[] memory) {
        return _optionWeights;
    }

    /// @notice The weight voted for option `option`.
    function optionWeight(uint256 option) external view returns (uint256) {
        if (option >= _options.length) revert NonexistentOption(option);
        return _optionWeights[option];
    }

    /// @notice The addresses excluded at deployment.
    function excluded() external view returns (address[] memory) {
        return _excluded;
    }
}
