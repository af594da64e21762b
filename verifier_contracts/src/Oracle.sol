// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title zkclear price oracle
/// @notice One authorised poster publishes rounds: round id -> per-market prices and
/// funding indices (one uint256 each, a BN254 field element: exactly the words the
/// settlement circuit takes as public inputs, e.g. ladder indices g_j for prices and
/// signed funding indices as r - |F| when negative), with the block timestamp.
/// Anyone reads a round. Rounds are numbered 1, 2, 3, ... (0 means "no round").
/// @dev The settlement contract compares a batch's prices and funding indices with a
/// round through `roundHash` (one storage read instead of 2M):
///     roundHash[id] = keccak256(abi.encode(prices, fundingIndices)).
contract Oracle {
    /// BN254 scalar field order r: every posted value is < r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// Number of markets M: every round has M prices and M funding indices.
    uint256 public immutable markets;
    /// The only address that may post rounds.
    address public poster;
    /// The last posted round id (0 before the first round).
    uint256 public latestRound;

    mapping(uint256 => uint256[]) internal _prices;
    mapping(uint256 => uint256[]) internal _funding;
    /// keccak256(abi.encode(prices, fundingIndices)) of a round; 0 for a round not posted.
    mapping(uint256 => bytes32) public roundHash;
    /// block.timestamp when a round was posted.
    mapping(uint256 => uint256) public roundTimestamp;

    event RoundPosted(uint256 indexed roundId, uint256 timestamp, uint256[] prices, uint256[] fundingIndices);
    event PosterChanged(address indexed previous, address indexed next);

    constructor(address poster_, uint256 markets_) {
        require(poster_ != address(0), "Oracle: zero poster");
        require(markets_ > 0 && markets_ <= 16, "Oracle: 1 to 16 markets");
        poster = poster_;
        markets = markets_;
    }

    /// @notice Publish round `roundId` (must be `latestRound + 1`, so a repeated post fails
    /// instead of publishing twice).
    function postRound(uint256 roundId, uint256[] calldata prices, uint256[] calldata fundingIndices) external {
        require(msg.sender == poster, "Oracle: not the poster");
        require(roundId == latestRound + 1, "Oracle: round out of order");
        uint256 m = markets;
        require(prices.length == m && fundingIndices.length == m, "Oracle: wrong number of markets");
        for (uint256 j = 0; j < m; j++) {
            require(prices[j] < R && fundingIndices[j] < R, "Oracle: not a field element");
        }
        latestRound = roundId;
        _prices[roundId] = prices;
        _funding[roundId] = fundingIndices;
        roundHash[roundId] = keccak256(abi.encode(prices, fundingIndices));
        roundTimestamp[roundId] = block.timestamp;
        emit RoundPosted(roundId, block.timestamp, prices, fundingIndices);
    }

    /// @notice A posted round: its prices, funding indices and timestamp.
    function getRound(uint256 roundId)
        external
        view
        returns (uint256[] memory prices, uint256[] memory fundingIndices, uint256 timestamp)
    {
        require(roundHash[roundId] != bytes32(0), "Oracle: unknown round");
        return (_prices[roundId], _funding[roundId], roundTimestamp[roundId]);
    }

    /// @notice Hand the posting right to another address.
    function setPoster(address next) external {
        require(msg.sender == poster, "Oracle: not the poster");
        require(next != address(0), "Oracle: zero poster");
        emit PosterChanged(poster, next);
        poster = next;
    }
}
