// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {LooseERC20} from "./LooseERC20.sol";

/// @notice Test double of a rebasing token: holders own shares, a balance is shares times an index,
/// and `rebase` changes the index (every balance) with an event of its own and no Transfer.
contract RebasingToken is LooseERC20 {
    uint256 private constant ONE = 1e18;

    event Rebased(uint256 index);

    uint256 public index = ONE;
    uint256 private totalShares;
    mapping(address => uint256) private shares;

    constructor() LooseERC20("Rebasing Token", "REB") {}

    function balanceOf(address account) public view override returns (uint256) {
        return (shares[account] * index) / ONE;
    }

    function totalSupply() public view override returns (uint256) {
        return (totalShares * index) / ONE;
    }

    function mint(address to, uint256 amount) external {
        uint256 minted = (amount * ONE) / index;
        totalShares += minted;
        shares[to] += minted;
        emit Transfer(address(0), to, amount);
    }

    function rebase(uint256 newIndex) external {
        index = newIndex;
        emit Rebased(newIndex);
    }

    function _move(address from, address to, uint256 value) internal override {
        uint256 moved = (value * ONE) / index;
        uint256 held = shares[from];
        if (held < moved) revert InsufficientBalance(from, balanceOf(from), value);
        shares[from] = held - moved;
        shares[to] += moved;
        emit Transfer(from, to, value);
    }
}
