// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {LooseERC20} from "./LooseERC20.sol";

/// @notice Test double shaped like Tether's USDT: the initial supply is credited in the constructor
/// and `issue` mints to the owner with an `Issue` event of its own, neither with a Transfer event.
contract SilentMintToken is LooseERC20 {
    event Issue(uint256 amount);

    address public immutable owner;
    uint256 private supply;
    mapping(address => uint256) private balances;

    constructor(uint256 initialSupply) LooseERC20("Silent Mint USD", "SMUSD") {
        owner = msg.sender;
        supply = initialSupply;
        balances[msg.sender] = initialSupply;
    }

    function balanceOf(address account) public view override returns (uint256) {
        return balances[account];
    }

    function totalSupply() public view override returns (uint256) {
        return supply;
    }

    function issue(uint256 amount) external {
        require(msg.sender == owner, "only the owner issues");
        supply += amount;
        balances[owner] += amount;
        emit Issue(amount);
    }

    /// @notice An ordinary mint with its Transfer event, for comparison.
    function mint(address to, uint256 amount) external {
        supply += amount;
        balances[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function _move(address from, address to, uint256 value) internal override {
        uint256 balance = balances[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        balances[from] = balance - value;
        balances[to] += value;
        emit Transfer(from, to, value);
    }
}
