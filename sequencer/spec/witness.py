"""What the prover and the contract need from a batch: the batch message and the witness.

A batch proof has ONE public input, `BatchRecord.digest` = sha256(message) >> 3, where the
message (`public.batch_message`, layout in `public.py`) is built from `BatchRecord.public`,
a `public.BatchPublic`:

    old_root, new_root              state roots (state.State.root: Poseidon(tree_root, globals_hash))
    batch_number                    = previous batch number + 1
    oracle_round                    the oracle round whose prices the batch uses
    prices[M]                       mark prices as ladder indices (price = g_j * price_step_j)
    funding[M]                      funding indices after the batch (signed)
    registration_from/to, registrations   the L1 registration queue range consumed and its
                                    entries (pubkey_x, pubkey_y, owner)
    deposit_from/to, deposits       the deposit queue range and entries (account, amount, bounced)
    forced_from/to, forced          the forced-withdrawal queue range and entries
                                    (account, amount, executed)
    withdrawals                     the signed withdrawals (account, amount), in slot order
    da_commitment, da_public_key    the DA payload's commitment and the sequencer's DA key (da.py)

`Rollup.submitBatch` rebuilds the same message from its storage (old root, batch number,
the `from` indices, the queued entries) and the calldata, and verifies the proof against
its digest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .public import BatchPublic, batch_digest, batch_message
from .state import LeafUpdate


RECORDED_TOP_LEVELS = 3  # (at most depth - 1)


@dataclass(frozen=True)
class OpWitness:
    """One op of the batch and the leaf writes it made, in order (each write's path is taken
    just before it, so a later write of the same op sees the earlier one)."""

    op: Any
    updates: tuple[LeafUpdate, ...]


@dataclass
class BatchRecord:
    """Everything the prover needs for one batch, and the contents of its message."""

    batch: Any
    public: BatchPublic
    ops: list[OpWitness]
    settle: OpWitness  # the closing re-box of the insurance fund (always one write)
    root_box: tuple  # the tree root's box after the batch, which holds the prices
    preset: Any  # the spec Preset (the message layout depends on its slot counts)
    old_tree_root: int = 0  # the old state root opens to these (State.root)
    # the old tree's top RECORDED_TOP_LEVELS levels (`tree.BoxTree.top`): the batch proof
    # carries them from write to write instead of hashing every write's path to the root
    old_tree_top: tuple = ()
    old_globals: tuple = ()  # State.globals_fields() before the batch
    # the sequencer's secret DA scalar (the circuit proves it is the secret of
    # public.da_public_key and derives new accounts' salts from it): a prover's secret, like
    # the database that holds it
    da_scalar: int = 0
    # options presets (spec/options.py): the options book before and after the batch
    old_book: Any = None
    book: Any = None

    @property
    def withdrawals(self) -> list[tuple[int, int]]:
        """The signed withdrawals (account, amount) the contract pays to the accounts' owners."""
        return list(self.public.withdrawals)

    @property
    def message(self) -> bytes:
        return batch_message(self.public, self.preset)

    @property
    def digest(self) -> int:
        """The batch proof's one public input: sha256(message) >> 3."""
        return batch_digest(self.public, self.preset)
