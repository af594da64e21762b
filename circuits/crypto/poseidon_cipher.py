"""The Poseidon sponge cipher (Grassi, Khovratovich, Rechberger, Roy, Schofnegger,
"Poseidon", section "Poseidon encryption"), exactly as @zk-kit/poseidon-cipher 0.3.2 (MACI's
`poseidonEncrypt`) computes it, so that a ciphertext made here, in a circuit
(circuits/gadgets/poseidon_cipher.py) or by zk-kit in a browser decrypts in the others.

Width t = 4 (rate 3, capacity 1), circomlib's Poseidon constants for t = 4 (8 full rounds,
56 partial rounds), the FULL permuted state kept (not only lane 0 as in the hash).

    key = (k0, k1) field elements, nonce < 2^128, message m of length L
    state = [0, k0, k1, nonce + L * 2^128]
    pad m with zeros to a multiple of 3
    for each block (m_3i, m_3i+1, m_3i+2):
        state = perm(state); state[1..3] += block; ciphertext += state[1..3]
    state = perm(state); ciphertext += state[1]              (the authentication tag)

A ciphertext has 3 * ceil(L / 3) + 1 elements and costs ceil(L / 3) + 1 permutations.
Decryption subtracts the same keystream, checks the padding is zero and the tag matches:
a ciphertext changed anywhere, or decrypted under another key or nonce, is refused
(`CipherError`). The nonce must never repeat under one key (the keystream would).
"""
from __future__ import annotations

from typing import Sequence

from prover.field import R

from .poseidon import poseidon_params

WIDTH = 4
RATE = 3
TWO_128 = 1 << 128


class CipherError(ValueError):
    """A ciphertext that does not decrypt under this key and nonce (or is malformed)."""


def poseidon_permutation(state: Sequence[int]) -> list[int]:
    """circomlib's Poseidon permutation of width len(state) (2..17), all lanes out
    (circomlib PoseidonEx(t - 1, t) with initialState = state[0])."""
    p = poseidon_params(len(state))
    t, s = p.t, [int(x) % R for x in state]
    half = p.n_rounds_f // 2
    for r in range(p.n_rounds_f + p.n_rounds_p):
        s = [(x + p.C[r * t + i]) % R for i, x in enumerate(s)]
        if r < half or r >= half + p.n_rounds_p:
            s = [pow(x, 5, R) for x in s]
        else:
            s[0] = pow(s[0], 5, R)
        s = [sum(m * x for m, x in zip(row, s)) % R for row in p.M]
    return s


def ciphertext_length(length: int) -> int:
    """Elements of the ciphertext of an L-element message: 3 * ceil(L / 3) + 1."""
    return RATE * -(-length // RATE) + 1


def n_permutations(length: int) -> int:
    return -(-length // RATE) + 1


def _initial_state(key: Sequence[int], nonce: int, length: int) -> list[int]:
    if len(key) != 2:
        raise ValueError("the key is two field elements")
    if not 0 <= nonce < TWO_128:
        raise ValueError("the nonce must be below 2^128")
    return [0, int(key[0]) % R, int(key[1]) % R, (nonce + length * TWO_128) % R]


def encrypt(message: Sequence[int], key: Sequence[int], nonce: int) -> list[int]:
    """The ciphertext of `message` (field elements) under `key` (2 elements) and `nonce`."""
    m = [int(x) % R for x in message]
    state = _initial_state(key, nonce, len(m))
    m += [0] * (-len(m) % RATE)
    out: list[int] = []
    for i in range(0, len(m), RATE):
        state = poseidon_permutation(state)
        for j in range(RATE):
            state[1 + j] = (state[1 + j] + m[i + j]) % R
        out += state[1:]
    state = poseidon_permutation(state)
    return out + [state[1]]


def decrypt(ciphertext: Sequence[int], key: Sequence[int], nonce: int, length: int) -> list[int]:
    """The L-element message of `ciphertext`; `CipherError` unless it authenticates (length,
    zero padding and tag, as zk-kit's `poseidonDecrypt`, which checks the padding only for
    L > 3: here it is checked for every L)."""
    ct = [int(x) for x in ciphertext]
    if len(ct) != ciphertext_length(length) or any(not 0 <= x < R for x in ct):
        raise CipherError(f"a ciphertext of {length} elements has {ciphertext_length(length)} field elements")
    state = _initial_state(key, nonce, length)
    out: list[int] = []
    for i in range(0, len(ct) - 1, RATE):
        state = poseidon_permutation(state)
        out += [(ct[i + j] - state[1 + j]) % R for j in range(RATE)]
        state[1:] = ct[i:i + RATE]
    if any(out[length:]):
        raise CipherError("the padding is not zero: wrong key, nonce or ciphertext")
    state = poseidon_permutation(state)
    if ct[-1] != state[1]:
        raise CipherError("the authentication tag does not match: wrong key, nonce or ciphertext")
    return out[:length]


__all__ = ["CipherError", "encrypt", "decrypt", "poseidon_permutation", "ciphertext_length", "n_permutations",
           "TWO_128"]
