// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Test collateral tokens for local chains (tests, gas measurement, the demo). NOT for value.

/// @notice A 6-decimal stablecoin with an open `mint`: 1 token base unit = 1 collateral unit.
contract TestStablecoin is ERC20 {
    constructor() ERC20("zkclear Test USD", "tUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice An 18-decimal token with an open `mint` (unitScale 10^12 against 1e-6 USD units).
contract TestToken18 is ERC20 {
    constructor() ERC20("zkclear Test USD 18", "tUSD18") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Keeps 1% of every transfer (a fee-on-transfer token): the Rollup must refuse it.
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("zkclear Fee Token", "tFEE") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @notice A malicious 6-decimal token: on a transfer (or transferFrom) it calls `target`
/// with `data` once (re-entering the Rollup from inside its own token transfer) and records
/// whether that inner call succeeded.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public data;
    bool public armed;
    uint256 public hookCalls;
    bool public hookOk;
    bytes public hookReturn;

    constructor() ERC20("zkclear Reentrant Token", "tEVIL") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// Arm the hook: the next transfer calls `target_` with `data_` (once).
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    /// Let the token itself approve the Rollup (so a re-entering deposit could pull tokens).
    function approveFromToken(address spender, uint256 amount) external {
        _approve(address(this), spender, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            hookCalls++;
            (bool ok, bytes memory ret) = target.call(data);
            hookOk = ok;
            hookReturn = ret;
        }
    }
}
