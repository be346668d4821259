// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {LooseERC20} from "./LooseERC20.sol";

/// @notice Test double of a deflationary token: every transfer burns a fee of `feeBasisPoints` of
/// the amount, and the Transfer event still says the whole amount arrived.
contract FeeOnTransferToken is LooseERC20 {
    uint256 public immutable feeBasisPoints;
    uint256 private supply;
    mapping(address => uint256) private balances;

    constructor(uint256 initialSupply, uint256 feeBasisPoints_) LooseERC20("Fee Token", "FEE") {
        feeBasisPoints = feeBasisPoints_;
        supply = initialSupply;
        balances[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    function balanceOf(address account) public view override returns (uint256) {
        return balances[account];
    }

    function totalSupply() public view override returns (uint256) {
        return supply;
    }

    function _move(address from, address to, uint256 value) internal override {
        uint256 balance = balances[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        uint256 fee = (value * feeBasisPoints) / 10_000;
        balances[from] = balance - value;
        balances[to] += value - fee;
        supply -= fee;
        emit Transfer(from, to, value);
    }
}
