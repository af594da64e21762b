// SPDX-License-Identifier: Apache-2.0
// Gas bench (not deployed by zkclear): hashing K field elements on-chain, to decide
// whether a batch passes its public inputs one by one or as one hash.
// Each function returns (hash, gas): the gas is measured with gasleft() around the
// hashing only, so calldata, ABI decoding and the transaction's calldata floor
// (EIP-7623) are left out; they are the same whichever way the inputs are passed.
pragma solidity ^0.8.20;

import "poseidon-solidity/PoseidonT3.sol";
import "poseidon-solidity/PoseidonT6.sol";

contract HashBench {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// sha256 precompile (0x02) over the 32-byte words, reduced into F_r.
    function sha256Fields(uint256[] calldata xs) external view returns (uint256 h, uint256 used) {
        used = gasleft();
        h = uint256(sha256(abi.encodePacked(xs))) % R;
        used -= gasleft();
    }

    /// keccak256 (opcode) over the 32-byte words, reduced into F_r (reference only).
    function keccakFields(uint256[] calldata xs) external view returns (uint256 h, uint256 used) {
        used = gasleft();
        h = uint256(keccak256(abi.encodePacked(xs))) % R;
        used -= gasleft();
    }

    /// Poseidon 2-to-1 chain: h = x0; h = H(h, x_i): K - 1 PoseidonT3 calls.
    function poseidonT3Chain(uint256[] calldata xs) external view returns (uint256 h, uint256 used) {
        used = gasleft();
        h = xs[0];
        for (uint256 i = 1; i < xs.length; i++) {
            h = PoseidonT3.hash([h, xs[i]]);
        }
        used -= gasleft();
    }

    /// Poseidon 5-to-1 chain: h = H(x0..x4); h = H(h, next 4): ceil((K - 1) / 4) PoseidonT6 calls.
    function poseidonT6Chain(uint256[] calldata xs) external view returns (uint256 h, uint256 used) {
        used = gasleft();
        uint256 n = xs.length;
        h = xs[0];
        uint256 i = 1;
        while (i < n) {
            uint256[5] memory w;
            w[0] = h;
            for (uint256 j = 1; j < 5; j++) {
                w[j] = i < n ? xs[i] : 0;
                i++;
            }
            h = PoseidonT6.hash(w);
        }
        used -= gasleft();
    }
}
