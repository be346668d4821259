// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test double: an ERC-20 whose balanceOf reverts for one holder and answers 16 bytes instead
/// of a word for another, so that reading many balances in one call must not let one holder sink
/// the others. Transfers use the real balances. Not one of our security contracts.
contract RefusingBalanceToken is ERC20 {
    address public refused;
    address public garbled;

    error BalanceRefused(address account);

    constructor() ERC20("Refusing", "RFS") {
        _mint(msg.sender, 1_000_000 * 10 ** 18);
    }

    function setOddHolders(address refused_, address garbled_) external {
        refused = refused_;
        garbled = garbled_;
    }

    /// @dev `value` from the sender to each of `to`, one Transfer event each: many holders in one transaction.
    function spread(address[] calldata to, uint256 value) external {
        for (uint256 i = 0; i < to.length; i++) _transfer(msg.sender, to[i], value);
    }

    /// @dev A balance as large as a test needs (one whose first byte is 0xEF, say).
    function mint(address to, uint256 value) external {
        _mint(to, value);
    }

    function balanceOf(address account) public view override returns (uint256) {
        if (account == refused) revert BalanceRefused(account);
        if (account == garbled) {
            assembly ("memory-safe") {
                mstore(0, 1)
                return(0, 16)
            }
        }
        return super.balanceOf(account);
    }
}
