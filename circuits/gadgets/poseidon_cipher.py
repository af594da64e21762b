"""The Poseidon sponge cipher in circuits: `poseidon_encrypt(c, message, key, nonce)` gives the
ciphertext LCs of circuits/crypto/poseidon_cipher.py's `encrypt` (= @zk-kit/poseidon-cipher's
`poseidonEncrypt`), so a circuit can bind a ciphertext to the data it proves: publish (or
hash) the returned LCs, and a prover who puts anything else there breaks a constraint.

Cost: ceil(L / 3) + 1 width-4 permutations with every lane out, 3 * (4 * 8 + 56) = 264
constraints each, less the S-boxes of the first round's constant lanes (lane 0 is 0, and the
key and nonce lanes are constants when the caller passes constants). Adding the message
is linear (free), and the ciphertext is an LC of the state: no constraint per element.

The nonce must be below 2^128 (it shares a lane with L * 2^128): `check_nonce=True` adds a
128-bit range check (129 constraints); a caller that builds the nonce from range-checked
values (batch number * slots + slot) leaves it off.
"""
from __future__ import annotations

from prover.field import R as _R

from circuits.crypto.poseidon_cipher import RATE, TWO_128
from circuits.dsl import LC, Circuit, gadget

from .bits import assert_in_range
from .poseidon import _mix_row, _params, _sbox


@gadget
def poseidon_permutation(c: Circuit, state) -> list[LC]:
    """circomlib's Poseidon permutation of width len(state), every lane out (PoseidonEx)."""
    t = len(state)
    p = _params(t)
    C, M = p.C, p.M
    half = p.n_rounds_f // 2
    n_rounds = p.n_rounds_f + p.n_rounds_p
    s = [LC.of(x) + C[i] for i, x in enumerate(state)]
    for r in range(n_rounds):
        if r < half or r >= half + p.n_rounds_p:
            s = [_sbox(c, x) if not x.is_constant() else LC.of(pow(x.constant_value(), 5, _R)) for x in s]
        else:
            s[0] = _sbox(c, s[0]) if not s[0].is_constant() else LC.of(pow(s[0].constant_value(), 5, _R))
        nxt = C[(r + 1) * t:(r + 2) * t] if r < n_rounds - 1 else [0] * t
        s = [_mix_row(M[i], s, nxt[i]) for i in range(t)]
    return s


@gadget
def poseidon_encrypt(c: Circuit, message, key, nonce, check_nonce: bool = False) -> list[LC]:
    """The 3 * ceil(L / 3) + 1 ciphertext LCs of `message` (L LCs) under `key` (2 LCs) and
    `nonce` (an LC below 2^128; see the module docstring)."""
    if len(key) != 2:
        raise ValueError("the key is two field elements")
    nonce = LC.of(nonce)
    if check_nonce:
        assert_in_range(c, nonce, 128)
    m = [LC.of(x) for x in message]
    length = len(m)
    state = [LC(), LC.of(key[0]), LC.of(key[1]), nonce + length * TWO_128]
    m += [LC()] * (-length % RATE)
    out: list[LC] = []
    for i in range(0, len(m), RATE):
        with c.scope("block"):
            state = poseidon_permutation(c, state)
        state = [state[0]] + [state[1 + j] + m[i + j] for j in range(RATE)]
        out += state[1:]
    with c.scope("tag"):
        state = poseidon_permutation(c, state)
    return out + [state[1]]


__all__ = ["poseidon_permutation", "poseidon_encrypt"]
