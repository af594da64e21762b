"""What the prover and the contract need from a batch: public inputs, their hash, the witness.

Public inputs, in `PublicInputs.words()` order (2M + 13 words), which is the order
`Rollup.sol` hands them to the verifier (`verifier_contracts.rollup.PUBLIC_INPUT_NAMES`):

    old_root, new_root              state roots (state.State.root: Poseidon(tree_root, globals_hash))
    batch_number                    = previous batch number + 1
    oracle_round                    the oracle round whose prices the batch uses
    g_0..g_{M-1}                    mark prices as ladder indices (price = g_j * price_step_j)
    F_0..F_{M-1}                    funding indices after the batch (signed, as field elements)
    deposit_index_old/new           the deposit queue range [old, new) the batch consumed
    deposit_chain_old/new           the Poseidon chain over the consumed deposits at old and new
    withdrawals_hash                Poseidon chain over this batch's (l1_address, amount) pairs
    forced_index_old/new            the forced-withdrawal queue range [old, new) the batch consumed
    forced_chain_old/new            the Poseidon chain over the consumed forced requests

`public_input_hash` is sha256 over the words as 32-byte big-endian integers, reduced mod r,
and `public_input_hash_poseidon` the same words through `hash_fields`: the one-input
alternatives, measured against passing the words one by one (README: ~7.1k gas a word).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .hashing import hash_chain, hash_fields, sha256_field, to_field
from .state import LeafUpdate


@dataclass(frozen=True)
class PublicInputs:
    old_root: int
    new_root: int
    batch_number: int
    oracle_round: int
    prices: tuple[int, ...]
    funding: tuple[int, ...]
    deposit_index_old: int
    deposit_index_new: int
    deposit_chain_new: int
    withdrawals_hash: int
    deposit_chain_old: int = 0
    forced_index_old: int = 0
    forced_index_new: int = 0
    forced_chain_old: int = 0
    forced_chain_new: int = 0

    @staticmethod
    def names(market_names) -> list[str]:
        """A name per word, in `words()` order."""
        return ["old_root", "new_root", "batch_number", "oracle_round",
                *[f"price_{m}" for m in market_names], *[f"funding_{m}" for m in market_names],
                "deposit_index_old", "deposit_index_new", "deposit_chain_old", "deposit_chain_new",
                "withdrawals_hash", "forced_index_old", "forced_index_new", "forced_chain_old",
                "forced_chain_new"]

    def words(self) -> list[int]:
        return [self.old_root, self.new_root, self.batch_number, self.oracle_round,
                *self.prices, *(to_field(f) for f in self.funding), self.deposit_index_old,
                self.deposit_index_new, self.deposit_chain_old, self.deposit_chain_new,
                self.withdrawals_hash, self.forced_index_old, self.forced_index_new,
                self.forced_chain_old, self.forced_chain_new]


def public_input_hash(pub: PublicInputs) -> int:
    return sha256_field(pub.words())


def public_input_hash_poseidon(pub: PublicInputs) -> int:
    return hash_fields(pub.words())


def withdrawals_hash(withdrawals: list[tuple[int, int]]) -> int:
    """h_0 = 0, h_{k+1} = Poseidon(h_k, l1_address_k, amount_k)."""
    h = 0
    for address, amount in withdrawals:
        h = hash_chain(h, [address, amount])
    return h


@dataclass(frozen=True)
class OpWitness:
    """One op of the batch and the leaf writes it made, in order (each write's path is taken
    just before it, so a later write of the same op sees the earlier one)."""

    op: Any
    updates: tuple[LeafUpdate, ...]


@dataclass
class BatchRecord:
    """Everything the prover needs for one batch (and the contract's calldata)."""

    batch: Any
    public: PublicInputs
    ops: list[OpWitness]
    settle: OpWitness  # the closing re-box of the insurance fund (always one write)
    root_box: tuple  # the tree root's box after the batch, which holds the prices
    withdrawals: list[tuple[int, int]] = field(default_factory=list)
    old_tree_root: int = 0  # the old state root opens to these (State.root)
    old_globals: tuple = ()  # State.globals_fields() before the batch

    @property
    def public_input_hash(self) -> int:
        return public_input_hash(self.public)

    @property
    def public_input_hash_poseidon(self) -> int:
        return public_input_hash_poseidon(self.public)
