"""What a batch proves about its data-availability (DA) payload: every leaf it writes is
encrypted to the account's owner, and the batch message carries a commitment to those
ciphertexts (`public.BatchPublic.da_commitment`), so the proof binds the payload that the DA
committee stores and signs (sequencer/da/) and an owner can always decrypt its leaf.

Keys: nothing but the owner's own key and the chain.

    sequencer   secret DA scalar s (< 2^252), public key S = s * Base8: a constant of the
                deployment (`Rollup.daPublicKey`, and in every batch message)
    owner       its EdDSA scalar a, public key A = a * Base8 (what it registered)
    shared      P = s * (8 * A') = a * (8 * S)    (circuits/crypto/ecdh.py: A' = A on the curve,
                                                   else Base8; the cofactor clears small torsion)
    salt        = Poseidon(P.x, id)               the leaf's salt (state.py): so the salt is a
                                                  secret of the owner and the sequencer, and
                                                  the circuit derives it in the registration
                                                  slot (it proves s * Base8 == S and the ECDH)
    cipher key  = (Poseidon(salt), id)            Poseidon cipher (circuits/crypto/poseidon_cipher.py)

The salt replaces the PRF of a secret seed it used to be (Poseidon(seed, id)): it still hides
the leaf (nobody but the owner and the sequencer knows P), it is still a function of
(the sequencer's secret, the account) so replays recompute the same roots, and now the owner
derives it, hence its cipher key, from its own key alone. The key is a hash of the salt, not
the salt itself, so the tree's blinds and the cipher never feed the same value to Poseidon.
Each later write needs no scalar multiplication: the leaf carries the salt, the circuit
hashes it into the key (one Poseidon(1)). Accounts that exist at genesis (the insurance fund)
get their salt the same way, but no proof covers genesis: the deployment's genesis root is
trusted as a whole.

Per write w of batch n (every leaf write the circuit makes, in its order: `record_updates`),
with ordinal i (0, 1, ... within the batch):

    nonce      = n * 2^32 + i                     (never repeated under one key)
    ciphertext = encrypt(leaf_opening(post), cipher key, nonce)
    record     = [index, leaf hash, nonce, *ciphertext]

    da_commitment = h_last,   h_0 = 0,   h_{i+1} = sponge(record_i, h_i)
    sponge(fields, h): h = Poseidon(h, next 15 fields) until the fields run out

The path entries of a write are not absorbed: a member checks that they rebuild the proved
root (sequencer/da/member.py), which binds them. A read (a bounced deposit, a forced
withdrawal not executed: the circuit rewrites the leaf unchanged) is a write here too,
re-encrypted under a fresh nonce; a slot that reads an empty leaf (a deposit to an account
whose registration is not consumed yet) writes nothing.
"""
from __future__ import annotations

import functools
from typing import Iterable, Sequence

from circuits.crypto.ecdh import SCALAR_BITS, public_key, shared_point
from circuits.crypto.poseidon_cipher import ciphertext_length, encrypt

from . import box as boxes
from .constants import FIELD_MODULUS
from .hashing import hash_fields

NONCE_BATCH_SHIFT = 32
SPONGE_RATE = 15
# The public development DA scalar (tests, demos): a deployment draws its own.
DEV_DA_SCALAR = 0x7A6B636C6561722D6465762D64612D6B6579
DEV_DA_PUBLIC_KEY = (2639633892472966282068872079161850407550236402268740987426894421061036569534,
                     12167518854329590282833464132781005918534603569962635614695116509375030847364)


@functools.lru_cache(maxsize=16)
def da_public_key(scalar: int) -> tuple[int, int]:
    """S = scalar * Base8."""
    return public_key(int(scalar))


def account_salt(da_scalar: int, owner_pubkey, index: int) -> int:
    """The salt of account `index` registered with `owner_pubkey`: Poseidon(P.x, index), P the
    ECDH point of the sequencer's scalar and the owner's key. The owner computes the same
    from its scalar and S (`owner_salt`)."""
    return hash_fields([shared_point(int(da_scalar), owner_pubkey)[0], int(index)])


def owner_salt(owner_scalar: int, da_public: Sequence[int], index: int) -> int:
    """The owner's side of `account_salt` (owner_scalar: circuits.crypto.ecdh.eddsa_scalar)."""
    return hash_fields([shared_point(int(owner_scalar), da_public)[0], int(index)])


def cipher_key(salt: int, index: int) -> tuple[int, int]:
    """The Poseidon-cipher key of a leaf: (Poseidon(salt), index)."""
    return hash_fields([int(salt)]), int(index)


def write_nonce(batch_number: int, ordinal: int) -> int:
    assert 0 <= ordinal < 1 << NONCE_BATCH_SHIFT
    return (int(batch_number) << NONCE_BATCH_SHIFT) + int(ordinal)


# --- the leaf opening: what is encrypted ------------------------------------------------------------
# [pk_x, pk_y, salt] (field elements), then the leaf's bounded values packed whole into as few
# elements as hold them (each below 2^PACK_BITS < r), then on options presets the option fields
# as they are: per slot (series, size), the option box's digest and its packed option box.
# The bounded values, each offset to be non-negative (signed ones by 2^(bits - 1)), are the M
# packed market boxes (`box.pack`, 128 bits), the L1 address, nonce_hi, the nonce bitmap, C and
# per market q_j and f_j; `opening_layout` places them first-fit in that order, from bit 0 up.
# A write's values are all in their ranges (the circuit range checks or carries each), so
# the packing is injective; the circuit computes it as a linear combination (no constraint)
# and so encrypts 2 + 3 + 4 = 9 elements at M = 4 instead of 19 (`ops._publish`).
PACK_BITS = 253


@functools.lru_cache(maxsize=16)
def opening_layout(num_markets: int) -> tuple:
    """Per packed element, its entries (name, market or None, bits, offset, shift)."""
    from .constants import (ADDRESS_BITS, COLLATERAL_BITS, FUNDING_BITS, GRID_BITS, NONCE_BITS, NONCE_WINDOW,
                            POSITION_BITS)

    items = [("box", j, 2 * GRID_BITS + 2 * FUNDING_BITS, 0) for j in range(num_markets)]
    items += [("l1_address", None, ADDRESS_BITS, 0), ("nonce_hi", None, NONCE_BITS, 0),
              ("nonce_bitmap", None, NONCE_WINDOW, 0), ("collateral", None, COLLATERAL_BITS, 1 << (COLLATERAL_BITS - 1))]
    for j in range(num_markets):
        items += [("position", j, POSITION_BITS, 1 << (POSITION_BITS - 1)),
                  ("snapshot", j, FUNDING_BITS, 1 << (FUNDING_BITS - 1))]
    elements: list[list] = []
    used: list[int] = []
    for name, j, bits, offset in items:
        k = next((k for k, u in enumerate(used) if u + bits <= PACK_BITS), len(used))
        if k == len(used):
            elements.append([])
            used.append(0)
        elements[k].append((name, j, bits, offset, used[k]))
        used[k] += bits
    return tuple(tuple(e) for e in elements)


def pack_opening(num_markets: int, value) -> list:
    """The packed elements from value(name, market or None), ints or circuit LCs alike."""
    out = []
    for entries in opening_layout(num_markets):
        acc = 0
        for name, j, bits, offset, shift in entries:
            acc = (value(name, j) + offset) * (1 << shift) + acc
        out.append(acc)
    return out


def unpack_opening(elements: Sequence[int], num_markets: int) -> dict:
    """{(name, market or None): value} from the packed elements (signed values signed)."""
    out = {}
    for x, entries in zip(elements, opening_layout(num_markets)):
        for name, j, bits, offset, shift in entries:
            out[(name, j)] = ((int(x) >> shift) & ((1 << bits) - 1)) - offset
    return out


def _account_value(account):
    def value(name: str, j):
        if name == "box":
            return boxes.pack(account.box[j])
        if name == "position":
            return account.positions[j]
        if name == "snapshot":
            return account.snapshots[j]
        return getattr(account, name)
    return value


def leaf_opening(account) -> list[int]:
    """The leaf's content as field elements (the layout above): [pk_x, pk_y, salt], the packed
    elements, and on options presets the option slots, the option box's digest and its packed
    option box (`box.pack_option`: the tree's box commitments hold it, so a successor
    rebuilding the tree needs it)."""
    m = len(account.positions)
    out = [account.pubkey[0], account.pubkey[1], account.salt, *pack_opening(m, _account_value(account))]
    if account.option_slots:
        for sid, n in account.option_slots:
            out += [sid, n]
        out += [account.obox.digest(), boxes.pack_option(boxes.option_bounds(account.obox, m))]
    return [x % FIELD_MODULUS for x in out]


def opening_length(num_markets: int, option_slots: int = 0) -> int:
    return 3 + len(opening_layout(num_markets)) + (2 * option_slots + 2 if option_slots else 0)


def record_length(num_markets: int, option_slots: int = 0) -> int:
    """Fields of one write record: index, leaf hash, nonce, the ciphertext."""
    return 3 + ciphertext_length(opening_length(num_markets, option_slots))


def encrypt_leaf(index: int, account, nonce: int) -> list[int]:
    return encrypt(leaf_opening(account), cipher_key(account.salt, index), nonce)


def write_record(index: int, leaf_hash: int, nonce: int, ciphertext: Sequence[int]) -> list[int]:
    return [int(index), int(leaf_hash), int(nonce), *(int(x) for x in ciphertext)]


def sponge(fields: Sequence[int], state: int = 0) -> int:
    """h = Poseidon(h, next 15 fields), over all fields (a short last chunk as it is)."""
    h = state
    for i in range(0, len(fields), SPONGE_RATE):
        h = hash_fields([h, *[int(x) % FIELD_MODULUS for x in fields[i:i + SPONGE_RATE]]])
    return h


def commitment_of(records: Iterable[Sequence[int]]) -> int:
    """The DA commitment of a batch's write records, in order."""
    h = 0
    for r in records:
        h = sponge(r, h)
    return h


def record_updates(updates) -> list:
    """The leaf writes of a batch that carry DA data: every `state.LeafUpdate` of the witness
    log with a leaf after it (reads included), in order."""
    return [u for u in updates if u.post is not None]


def batch_records(updates, batch_number: int) -> list[list[int]]:
    """The write records of a batch's witness log (`record_updates`)."""
    from .state import account_hash

    out = []
    for i, u in enumerate(record_updates(updates)):
        nonce = write_nonce(batch_number, i)
        out.append(write_record(u.index, account_hash(u.post), nonce, encrypt_leaf(u.index, u.post, nonce)))
    return out


def batch_commitment(updates, batch_number: int) -> int:
    return commitment_of(batch_records(updates, batch_number))


__all__ = ["SCALAR_BITS", "DEV_DA_SCALAR", "DEV_DA_PUBLIC_KEY", "NONCE_BATCH_SHIFT", "SPONGE_RATE", "da_public_key",
           "account_salt", "owner_salt", "cipher_key", "write_nonce", "PACK_BITS", "opening_layout", "pack_opening",
           "unpack_opening", "leaf_opening", "opening_length",
           "record_length", "encrypt_leaf", "write_record", "sponge", "commitment_of", "record_updates",
           "batch_records", "batch_commitment"]
