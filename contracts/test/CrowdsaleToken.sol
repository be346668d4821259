// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title CrowdsaleToken
/// @notice A stand-in payout currency for the local chain and tests: a plain OpenZeppelin ERC-20
/// named as in the manual's payout tutorial (`--payout-token-name="CrowdsaleToken"`), deployed by
/// the testing-only `deploy-crowdsale-token` command. The deployer receives the whole fixed supply
/// of 1,000,000,000 CST (18 decimals). Not one of the security contracts.
contract CrowdsaleToken is ERC20 {
    uint256 public constant INITIAL_SUPPLY = 1_000_000_000 * 10 ** 18;

    constructor() ERC20("CrowdsaleToken", "CST") {
        _mint(msg.sender, INITIAL_SUPPLY);
    }
}
